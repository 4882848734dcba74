"""Invitation campaigns over the sample patients, against the fake Twilio API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.channels.sms import InboundText
from bot.cli.main import main
from bot.outreach.campaign_report import Report, campaign_report
from bot.outreach.campaign_status import set_status
from bot.outreach.campaigns import CampaignError, create_campaign, read_patient_ids
from bot.outreach.invitations import run_campaign
from bot.outreach.scheduler import Scheduler
from store.db import transaction
from store.models import AuditEvent, MessageStatus
from store.outreach import Campaign, CampaignRecipient
from tests.jobs.conftest import ACCOUNT, NOW, TOKEN, World

ELIGIBLE = ["P1001", "P1002", "P1003", "P1004", "P1007", "P1010"]
LANDLINES = ["P1005", "P1011", "P1012"]


def create(world: World, name: str = "Winter", ids: list[str] | None = None) -> str:
    with transaction(world.sessions) as session:
        return create_campaign(
            session, world.pharmacy(), name, "ENROLL_OFFER", ids, world.clock.now(), "cli:dana"
        ).summary()


def run(world: World, name: str = "Winter", advance=lambda n: None):  # type: ignore[no-untyped-def]
    return run_campaign(
        world.sessions,
        world.runtime(),
        world.jobs(),
        world.clock,
        world.pharmacy().id,
        name,
        "cli:dana",
        advance,
    )


def report(world: World, name: str = "Winter") -> Report:
    with transaction(world.sessions) as session:
        return campaign_report(session, world.pharmacy().id, name)


def outcomes(world: World, name: str = "Winter") -> dict[str, str]:
    return {p.external_id: p.outcome for p in report(world, name).patients}


def text(world: World, phone: str, body: str) -> None:
    sid = f"SM{abs(hash((phone, body, world.clock.now()))):032x}"[:34]
    world.runtime().handle_text(InboundText(sid, phone, "+12125550100", body))


def test_a_campaign_of_the_sample_patients_end_to_end(world: World) -> None:
    summary = create(world)
    assert summary == (
        "Campaign 'Winter' created: 6 to invite, 3 on landlines (waiting for calls), "
        "0 not eligible."
    )
    result = run(world)
    assert result.summary("Winter") == "Campaign 'Winter': 6 invitations handed to the sender."
    sent = {r.form["To"]: r.form["Body"] for r in world.fake.accepted_messages}
    # 10:00 in New York and Miami, 09:00 in Houston and Washington; San Francisco and
    # Honolulu are still asleep: their invitations wait.
    assert sorted(sent) == ["+12025550101", "+12125550123", "+13055550147", "+17135550111"]
    # Each in the patient's own language, never with a medicine's name.
    assert sent["+12125550123"].startswith("Hi Margaret, Main Street Pharmacy here.")
    assert sent["+13055550147"].startswith("Hola José, le escribe Main Street Pharmacy.")
    assert "Responda ALTO" in sent["+13055550147"]
    for body in sent.values():
        assert "Lisinopril" not in body and "Amlodipine" not in body

    # Margaret joins; José texts STOP; Wei texts STOP before his invitation could go.
    text(world, "+12125550123", "yes")
    text(world, "+13055550147", "ALTO")
    text(world, "+14155550165", "STOP")
    world.fake.fail_next(400, 30006, "Landline or unreachable carrier")  # Natalia's number
    for hour in (16, 18):  # the periodic job's sweep sends what waited, at its time
        world.clock.at = dt.datetime(2026, 11, 29, hour, 5, tzinfo=dt.UTC)
        Scheduler(world.sessions, world.runtime(), world.clock, world.settings).run(world.jobs())
    assert "+14155550165" not in {r.form["To"] for r in world.fake.messages}

    assert outcomes(world) == {
        "P1001": "sent, replied, enrolled",
        "P1002": "sent, replied, opted out",
        "P1003": "sent",
        "P1004": "failed, replied, opted out",
        "P1005": "landline",
        "P1007": "failed",
        "P1010": "sent",
        "P1011": "landline",
        "P1012": "landline",
    }
    full = report(world)
    assert full.template.startswith("Hi %(first_name)s, %(pharmacy)s here. Med sync")
    assert full.by_language["es"]["opted out"] == 1
    assert full.by_language["en"]["landline"] == 3 and full.by_language["en"]["enrolled"] == 1
    totals = full.totals()
    assert (totals["patients"], totals["sent"], totals["failed"], totals["landline"]) == (
        9,
        4,
        2,
        3,
    )
    notes = {p.external_id: p.note for p in full.patients}
    assert (
        notes["P1007"]
        == "Twilio error 30006: the number cannot receive texts (landline or unreachable carrier)."
    )
    assert notes["P1004"] == "The patient has opted out of texts."


def test_delivery_status_shows_in_the_report(world: World) -> None:
    create(world, ids=["P1001"])
    run(world)
    with transaction(world.sessions) as session:
        from store.models import Message

        message = session.scalar(select(Message).where(Message.sid.is_not(None)))
        assert message is not None
        message.status = MessageStatus.DELIVERED
    assert outcomes(world) == {"P1001": "delivered"}
    assert report(world).by_language["en"]["delivered"] == 1


def test_running_twice_invites_once(world: World) -> None:
    create(world)
    run(world)
    again = run_campaign(
        world.sessions, world.runtime(), world.jobs(), world.clock, 1, "Winter", "cli:dana"
    )
    assert again.invited == 0 and again.stopped == "everyone was invited already"
    assert len(world.fake.messages) == 4


def test_pause_stops_the_run_and_holds_queued_sends(world: World) -> None:
    create(world)
    pharmacy_id = world.pharmacy().id

    def pause_after_two(n: int) -> None:
        pause_after_two.calls += 1  # type: ignore[attr-defined]
        if pause_after_two.calls == 2:  # type: ignore[attr-defined]
            set_status(
                world.sessions, world.jobs(), world.clock, pharmacy_id, "Winter", "pause", "x"
            )

    pause_after_two.calls = 0  # type: ignore[attr-defined]
    first = run(world, advance=pause_after_two)
    assert first.invited == 2 and first.stopped == "stopped because it was paused"
    with pytest.raises(CampaignError, match="paused: resume it first"):
        run(world)
    said = set_status(
        world.sessions, world.jobs(), world.clock, pharmacy_id, "Winter", "resume", "x"
    )
    assert said.startswith("Campaign 'Winter' resumed")
    second = run(world)
    assert second.invited == 4
    assert len({r.form["To"] for r in world.fake.accepted_messages}) == 4  # 2 wait for morning


def test_a_paused_campaigns_waiting_sends_are_held_then_go(world: World) -> None:
    create(world, ids=["P1004"])  # San Francisco: 07:00, the invitation waits
    run(world)
    pharmacy_id = world.pharmacy().id
    set_status(world.sessions, world.jobs(), world.clock, pharmacy_id, "Winter", "pause", "x")
    world.clock.at = dt.datetime(2026, 11, 29, 16, 5, tzinfo=dt.UTC)
    Scheduler(world.sessions, world.runtime(), world.clock, world.settings).run(world.jobs())
    assert world.fake.messages == []
    set_status(world.sessions, world.jobs(), world.clock, pharmacy_id, "Winter", "resume", "x")
    assert len(world.fake.accepted_messages) == 1


def test_cancel_means_nothing_more_goes(world: World) -> None:
    create(world, ids=["P1004", "P1007"])  # both asleep at 15:00 UTC
    run(world)
    pharmacy_id = world.pharmacy().id
    said = set_status(
        world.sessions, world.jobs(), world.clock, pharmacy_id, "Winter", "cancel", "x"
    )
    assert said == "Campaign 'Winter' cancelled: 2 invitations not sent yet will not go."
    world.clock.at = dt.datetime(2026, 11, 29, 19, 0, tzinfo=dt.UTC)
    Scheduler(world.sessions, world.runtime(), world.clock, world.settings).run(world.jobs())
    assert world.fake.messages == []
    assert set(outcomes(world).values()) == {"failed"}
    with pytest.raises(CampaignError, match="is cancelled; it cannot run"):
        run(world)
    with transaction(world.sessions) as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["campaign_create", "campaign_run", "campaign_cancel"]


def test_a_list_of_patients_keeps_the_ineligible_with_their_reason(world: World) -> None:
    summary = create(world, ids=["P1001", "P1006", "P1008", "P1011"])
    assert "1 to invite, 1 on landlines (waiting for calls), 2 not eligible." in summary
    assert "P1008: Only one medicine can be synced" in summary or "P1008: No medicine" in summary
    with transaction(world.sessions) as session:
        statuses = dict(
            session.execute(select(CampaignRecipient.patient_id, CampaignRecipient.status)).all()
        )
    assert sorted(s.value for s in statuses.values()) == [
        "landline",
        "pending",
        "skipped",
        "skipped",
    ]


def test_the_eligible_audience_leaves_out_who_was_invited_or_declined(world: World) -> None:
    create(world, ids=["P1001", "P1002"])
    run(world)
    text(world, "+13055550147", "no")  # José declines
    summary = create(world, name="Spring")
    assert "4 to invite, 3 on landlines" in summary  # neither Margaret nor José again


def test_bad_input_gets_a_sentence_and_changes_nothing(world: World) -> None:
    with pytest.raises(CampaignError, match="2 ids in the file are not patients of Main Street"):
        create(world, ids=["P1001", "P404", "nobody"])
    with (
        pytest.raises(CampaignError, match="No campaign template 'HELLO'"),
        transaction(world.sessions) as session,
    ):
        create_campaign(session, world.pharmacy(), "X", "HELLO", None, NOW, "x")
    create(world)
    with pytest.raises(CampaignError, match="exists already"):
        create(world)
    with pytest.raises(CampaignError, match="No campaign called 'Nope'"):
        run(world, "Nope")
    with transaction(world.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 1
    assert read_patient_ids("patient_id,name\nP1,Ann\n\nP2,Bo\nP1,Ann\n") == ["P1", "P2"]
    assert read_patient_ids("P1\nP2\n") == ["P1", "P2"]
    with pytest.raises(CampaignError, match="no patient ids"):
        read_patient_ids("patient_id\n\n")


def test_the_commands(
    world: World, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "MEDSYNC_DATABASE_URL": db_url,
        "MEDSYNC_SENDER": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_TWILIO_API_URL": world.fake.url,
        "MEDSYNC_PUBLIC_URL": "https://pharmacy.example.org",
        # The commands read the wall clock: open the window so the test passes at any hour.
        "MEDSYNC_SENDING_HOURS_START": "00:00",
        "MEDSYNC_SENDING_HOURS_END": "23:59:59",
        "MEDSYNC_SENDING_HOURS_END_BY_STATE": "{}",
        "MEDSYNC_SEGMENTS_PER_SECOND": "100",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MEDSYNC_REDIS_URL", raising=False)
    runner = CliRunner()

    def medsync(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    ids = tmp_path / "ids.csv"
    ids.write_text("patient_id\nP1001\nP1002\nP1005\nP1008\n", encoding="utf-8")
    created = medsync("campaign", "create", "Pilot", "--patients", str(ids))
    assert "2 to invite, 1 on landlines (waiting for calls), 1 not eligible." in created
    assert "Pilot\tdraft" in medsync("campaign", "list")
    ran = medsync("campaign", "run", "Pilot")
    assert "Campaign 'Pilot': 2 invitations handed to the sender." in ran
    assert {r.form["To"] for r in world.fake.accepted_messages} == {"+12125550123", "+13055550147"}
    assert all(
        r.form["StatusCallback"].startswith("https://pharmacy.example.org/twilio/status?message=")
        for r in world.fake.messages
    )
    shown = medsync("campaign", "report", "Pilot", "--patients")
    assert "P1001 (en): sent" in shown and "P1002 (es): sent" in shown
    assert "P1005 (en): landline - no SMS-capable number: waits for a call" in shown
    assert "P1008 (ht): skipped" in shown
    assert "delivered" in shown and "opted out" in shown  # the table's columns

    failed = runner.invoke(main, ["campaign", "pause", "Nope"])
    assert failed.exit_code == 1 and "No campaign called 'Nope'" in failed.output
    again = runner.invoke(main, ["campaign", "resume", "Pilot"])
    assert again.exit_code == 1 and "is done; it cannot resume" in again.output
    no_redis = runner.invoke(main, ["worker"])
    assert no_redis.exit_code == 1 and "Set MEDSYNC_REDIS_URL" in no_redis.output
    assert "check-ins opened" in medsync("scheduler", "run-once")
