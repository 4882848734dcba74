"""Campaigns set-based (issue 19): the invitations are written on the workers in chunk jobs
(enqueued with `Queue.enqueue_many` in one pipeline), each chunk safe to run twice, and
`campaign report` shows how far they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from redis import Redis
from sqlalchemy import func, select

from bot.cli.main import main
from bot.outreach.campaign_report import campaign_progress
from bot.outreach.campaigns import create_campaign
from bot.outreach.invitations import CHUNK, invite_chunk, run_campaign
from bot.outreach.worker import WorkerContext, enqueue_invitations
from store.db import transaction
from store.models import Message, Patient
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from tests.jobs.conftest import ACCOUNT, TOKEN, World, burst

ELIGIBLE = ["P1001", "P1002", "P1003", "P1004", "P1007", "P1010"]


def create(world: World, name: str = "Winter") -> int:
    with transaction(world.sessions) as session:
        created = create_campaign(
            session, world.pharmacy(), name, "ENROLL_OFFER", None, world.clock.now(), "cli:dana"
        )
        return created.campaign.id


def recipients(world: World, campaign_id: int) -> list[int]:
    with transaction(world.sessions) as session:
        return list(
            session.scalars(
                select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign_id)
            )
        )


def invitations(world: World) -> int:
    with transaction(world.sessions) as session:
        count = session.scalar(
            select(func.count()).where(Message.idempotency_key.like("campaign:%:invite:%"))
        )
        return int(count or 0)


def test_the_workers_write_the_invitations_in_chunk_jobs(
    world: World, context: WorkerContext
) -> None:
    create(world)
    result = run_campaign(
        world.sessions,
        world.runtime(),
        world.jobs(),
        world.clock,
        world.pharmacy().id,
        "Winter",
        "cli:dana",
        chunks=lambda campaign_id, ids: enqueue_invitations(context.queue, campaign_id, ids),
    )
    assert (result.handed_on, result.jobs) == (len(ELIGIBLE), 1)
    assert "handed to the workers in 1 jobs" in result.summary("Winter")
    [job] = context.queue.get_jobs()
    assert job.func_name == "bot.outreach.worker.invite_recipients"  # ids only
    with transaction(world.sessions) as session:
        before = campaign_progress(session, world.pharmacy().id, "Winter")
    assert (before.pending, before.invited, before.status) == (len(ELIGIBLE), 0, "running")
    burst(context)  # the chunk, then the batch send jobs it enqueued
    with transaction(world.sessions) as session:
        after = campaign_progress(session, world.pharmacy().id, "Winter")
    assert (after.pending, after.invited, after.status) == (0, len(ELIGIBLE), "done")
    # San Francisco and Honolulu wait for their morning; the others went.
    assert (after.sent, after.queued) == (4, 2)
    assert len(world.fake.accepted_messages) == 4
    assert "6 of 9 invited, 3 not invited" in after.summary()  # the landlines wait for calls
    assert "4 sent, 2 waiting to go" in after.summary()


def test_a_chunk_run_twice_or_after_a_crash_writes_each_invitation_once(world: World) -> None:
    campaign_id = create(world)
    ids = recipients(world, campaign_id)
    with transaction(world.sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.status = CampaignStatus.RUNNING  # as `run_campaign` sets it
    # A run that died after writing the first invitation, before marking its recipient.
    first = min(ids)
    with transaction(world.sessions) as session:
        recipient = session.get(CampaignRecipient, first)
        assert recipient is not None
        patient = session.get(Patient, recipient.patient_id)
        assert patient is not None
        external_id = patient.external_id
    world.runtime().invite(
        world.pharmacy().id, external_id, f"campaign:{campaign_id}:invite:{first}"
    )
    assert invitations(world) == 1
    jobs = world.jobs()
    once = invite_chunk(world.sessions, world.runtime(), jobs, world.clock, campaign_id, ids)
    again = invite_chunk(world.sessions, world.runtime(), jobs, world.clock, campaign_id, ids)
    assert once.invited == len(ELIGIBLE) and again.invited == 0
    assert invitations(world) == len(ELIGIBLE)
    with transaction(world.sessions) as session:
        statuses = session.scalars(
            select(CampaignRecipient.status).where(CampaignRecipient.campaign_id == campaign_id)
        ).all()
    assert set(statuses) == {RecipientStatus.INVITED, RecipientStatus.LANDLINE}
    assert len(world.fake.accepted_messages) == 4  # each sent once


def test_many_recipients_are_enqueued_in_one_pipeline(connection: Redis) -> None:
    from rq import Queue

    queue = Queue("medsync-chunks-test", connection=connection)
    calls: list[str] = []
    connection_pipeline = connection.pipeline

    def pipeline(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append("pipeline")
        return connection_pipeline(*args, **kwargs)  # type: ignore[arg-type]

    connection.pipeline = pipeline  # type: ignore[method-assign]
    try:
        assert enqueue_invitations(queue, 7, range(1, 2 * CHUNK + 2)) == 3
        assert enqueue_invitations(queue, 7, range(1, 2 * CHUNK + 2)) == 3  # same job ids
    finally:
        connection.pipeline = connection_pipeline  # type: ignore[method-assign]
    jobs = {job.id: job for job in queue.get_jobs()}
    assert sorted(jobs) == sorted(
        [f"invite-7-1-{CHUNK}", f"invite-7-{CHUNK + 1}-{CHUNK}", f"invite-7-{2 * CHUNK + 1}-1"]
    )
    assert calls.count("pipeline") >= 2
    queue.empty()  # type: ignore[no-untyped-call]


def test_the_commands_hand_the_campaign_to_the_workers_and_report_progress(
    world: World,
    context: WorkerContext,
    db_url: str,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {
        "MEDSYNC_DATABASE_URL": db_url,
        "MEDSYNC_REDIS_URL": redis_url,
        "MEDSYNC_QUEUE_NAME": context.outreach.queue_name,
        "MEDSYNC_SENDER": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_TWILIO_API_URL": world.fake.url,
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def medsync(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    ids = tmp_path / "ids.csv"
    ids.write_text("patient_id\nP1001\nP1002\nP1005\n", encoding="utf-8")
    medsync("campaign", "create", "Pilot", "--patients", str(ids))
    ran = medsync("campaign", "run", "Pilot", "--no-follow")
    assert "Campaign 'Pilot': 2 invitations handed to the workers in 1 jobs" in ran
    assert "0 of 3 invited, 1 not invited, 2 still to write (33% done)" in medsync(
        "campaign", "report", "Pilot"
    )
    burst(context)
    shown = medsync("campaign", "report", "Pilot")
    assert "2 of 3 invited, 1 not invited, 0 still to write (100% done); 2 sent" in shown
