"""`medsync worker`, `medsync scheduler run-once` and `medsync campaign ...`."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.common import Fail
from bot.clock import SystemClock
from bot.conversation.runtime import runtime_for
from bot.outreach.jobs import Jobs
from bot.settings import Settings, get_settings


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _sessions(settings: Settings) -> sessionmaker[Session]:
    from bot.cli.common import sessions_for

    return sessions_for(settings)


def _jobs(settings: Settings, sessions: sessionmaker[Session]) -> Jobs:
    from bot.outreach.sender import sender_for
    from bot.web.outreach import outreach_jobs

    sender = sender_for(settings)
    return outreach_jobs(settings, sessions, sender, SystemClock())


def _pharmacy_id(sessions: sessionmaker[Session], which: str | None) -> int:
    from bot.cli.common import pharmacy_named as _pharmacy
    from store.db import transaction

    with transaction(sessions) as session:
        return _pharmacy(session, which).id


# ---------------------------------------------------------------------- worker


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts).")
def worker(burst: bool) -> None:
    """Run an RQ worker: sends texts and runs the anchor-cycle scheduler (needs Redis)."""
    settings = get_settings()
    if not settings.redis_url:
        raise Fail(
            "Set MEDSYNC_REDIS_URL (for example redis://127.0.0.1:6379/0) to run a worker. "
            "Without Redis, `medsync serve` sends texts and runs the scheduler itself."
        )
    from redis.exceptions import ConnectionError as RedisDown

    from bot.inbox import live
    from bot.outreach.running_jobs import run_worker

    _sessions(settings)  # the database is there and upgraded, or one sentence says so
    # What the jobs store (items the scheduler opens) is news for open inbox pages, carried
    # by the same Redis channel the web processes listen on.
    news = live.broadcaster_for(settings.redis_url)

    try:
        run_worker(burst=burst, watch=lambda sessions: live.watch(sessions, news))
    except RedisDown as error:
        raise Fail(f"Could not reach Redis at {settings.redis_url}: {error}") from None


# ---------------------------------------------------------------------- scheduler


@click.group()
def scheduler() -> None:
    """The anchor-cycle scheduler (check-ins, follow-ups, reminders, call list)."""


@scheduler.command("run-once")
def scheduler_run_once() -> None:
    """Find and send what is due now, once (a worker or `serve` does this every few minutes)."""
    from bot.outreach.scheduler import Scheduler
    from bot.settings.outreach import OutreachSettings

    settings = get_settings()
    sessions = _sessions(settings)
    if settings.redis_url:  # open inbox pages hear of the items it opens (bot/inbox/live.py)
        from bot.inbox import live

        live.watch(sessions, live.broadcaster_for(settings.redis_url))
    report = Scheduler(
        sessions, runtime_for(settings, sessions), SystemClock(), OutreachSettings()
    ).run(_jobs(settings, sessions))
    click.echo(report.summary() + ".")


# ---------------------------------------------------------------------- campaigns


@click.group()
def campaign() -> None:
    """Invitation campaigns: create, run, pause, resume, cancel, report."""


@campaign.command("create")
@click.argument("name")
@click.option(
    "--template",
    default="ENROLL_OFFER",
    show_default=True,
    help="The message, by its name in the catalogs (dialogs/prompts.py).",
)
@click.option(
    "--patients",
    "patients_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A CSV of patient ids (a patient_id column, or one id a line). "
    "Default: every eligible patient not yet invited.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    help="Invite the N highest-priority candidates (see `medsync campaign candidates`).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="With --top: rank the candidates as of this day (default: today).",
)
@click.option("--pharmacy", "which", default=None)
def campaign_create(
    name: str,
    template: str,
    patients_file: Path | None,
    top: int | None,
    as_of: dt.datetime | None,
    which: str | None,
) -> None:
    """Create a campaign and choose its recipients."""
    from bot.cli.common import pharmacy_named as _pharmacy
    from bot.clock import local_date
    from bot.outreach.campaigns import CampaignError, create_campaign, read_patient_ids
    from bot.outreach.priority import candidates
    from store.db import transaction

    if top is not None and patients_file is not None:
        raise Fail("Give either --patients or --top, not both.")
    if as_of is not None and top is None:
        raise Fail("--as-of ranks the candidates for --top; give --top too.")
    settings = get_settings()
    try:
        ids = None
        if patients_file is not None:
            try:
                ids = read_patient_ids(patients_file.read_text(encoding="utf-8-sig"))
            except UnicodeDecodeError:
                raise Fail(f"{patients_file} is not a UTF-8 text file.") from None
        with transaction(_sessions(settings)) as session:
            pharmacy = _pharmacy(session, which)
            audience = None
            if top is not None:
                today = as_of.date() if as_of else local_date(SystemClock(), pharmacy.timezone)
                ids = [c.external_id for c in candidates(session, pharmacy, today, top)]
                if not ids:
                    raise CampaignError(
                        "No patients to invite: everyone eligible is enrolled, invited or "
                        "opted out."
                    )
                audience = f"the top {top} candidates by priority on {today}"
            created = create_campaign(
                session,
                pharmacy,
                name,
                template,
                ids,
                dt.datetime.now(dt.UTC),
                _actor(),
                audience=audience,
            )
            click.echo(created.summary())
    except CampaignError as error:
        raise Fail(str(error)) from None


@campaign.command("run")
@click.argument("name")
@click.option("--pharmacy", "which", default=None)
@click.option(
    "--by",
    "by",
    default=None,
    metavar="EMAIL",
    help="The staff member sending it: their role must allow sending campaigns "
    "(docs/ROLES.md), and the audit trail names them.",
)
@click.option(
    "--follow/--no-follow",
    default=True,
    show_default=True,
    help="With workers: show a progress bar until every invitation is written.",
)
def campaign_run(name: str, which: str | None, by: str | None, follow: bool) -> None:
    """Write the campaign's invitations and hand them to the sender, which sends them at the
    sending number's pace. With MEDSYNC_REDIS_URL the workers write them, in chunks; without,
    this command does (Ctrl-C stops; run again to carry on)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.outreach.campaigns import CampaignError
    from bot.outreach.invitations import pending_count, run_campaign

    settings = get_settings()
    sessions = _sessions(settings)
    actor = _sender(sessions, by) if by else _actor()
    pharmacy_id = _pharmacy_id(sessions, which)
    jobs = _jobs(settings, sessions)
    chunks = _invitation_chunks(settings)
    try:
        total = pending_count(sessions, pharmacy_id, name)
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()
        ) as progress:
            task = progress.add_task(f"Inviting ({name})", total=total)
            result = run_campaign(
                sessions,
                runtime_for(settings, sessions),
                jobs,
                SystemClock(),
                pharmacy_id,
                name,
                actor,
                advance=lambda n: progress.advance(task, n),
                chunks=chunks,
            )
            if result.handed_on and follow:
                _follow(sessions, pharmacy_id, name, lambda n: progress.update(task, completed=n))
    except CampaignError as error:
        raise Fail(str(error)) from None
    click.echo(result.summary(name))


def _sender(sessions: sessionmaker[Session], email: str) -> str:
    """The staff account a campaign is sent by, if the role policy lets it send campaigns;
    a refusal is audited like the inbox's."""
    from bot.inbox.auth import normalize_email
    from bot.inbox.policy import Permission, refusal
    from store.accounts import User
    from store.audit import REFUSED, record
    from store.db import transaction

    with transaction(sessions) as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None or not user.active:
            raise Fail(f"No active staff account for {email}: see `medsync user list`.")
        why = refusal(user.role, Permission.SEND_CAMPAIGNS)
        if why is not None:
            record(
                session, user.email, "campaign_run", "campaign", dt.datetime.now(dt.UTC),
                after={"via": _actor()}, outcome=REFUSED,
            )  # fmt: skip
    if why is not None:
        raise Fail(f"{why} {user.email} is a {user.role.value}.")
    return f"{user.email} ({_actor()})"


def _invitation_chunks(settings: Settings) -> Callable[[int, list[int]], int] | None:
    """With Redis, a campaign's invitations are written by the workers in chunk jobs."""
    if not settings.redis_url:
        return None
    from redis import Redis
    from rq import Queue

    from bot.outreach.worker import enqueue_invitations
    from bot.settings.outreach import OutreachSettings

    queue = Queue(OutreachSettings().queue_name, connection=Redis.from_url(settings.redis_url))
    return lambda campaign_id, ids: enqueue_invitations(queue, campaign_id, ids)


def _follow(
    sessions: sessionmaker[Session], pharmacy_id: int, name: str, show: Callable[[int], None]
) -> None:
    """Poll the campaign until no recipient is left to write (Ctrl-C leaves the workers at
    it; `medsync campaign report` shows how far they are)."""
    import time

    from bot.outreach.campaign_report import campaign_progress
    from store.db import transaction

    start = None
    while True:
        with transaction(sessions) as session:
            progress = campaign_progress(session, pharmacy_id, name)
        start = progress.written if start is None else start
        show(progress.written - start)
        if progress.pending == 0 or progress.status != "running":
            return
        time.sleep(1)


def _status_command(action: str) -> click.Command:
    @click.command(action, help=f"{action.capitalize()} a campaign.")
    @click.argument("name")
    @click.option("--pharmacy", "which", default=None)
    def command(name: str, which: str | None) -> None:
        from bot.outreach.campaign_status import set_status
        from bot.outreach.campaigns import CampaignError

        settings = get_settings()
        sessions = _sessions(settings)
        try:
            click.echo(
                set_status(
                    sessions,
                    _jobs(settings, sessions),
                    SystemClock(),
                    _pharmacy_id(sessions, which),
                    name,
                    action,
                    _actor(),
                )
            )
        except CampaignError as error:
            raise Fail(str(error)) from None

    return command


for _action in ("pause", "resume", "cancel"):
    campaign.add_command(_status_command(_action))


@campaign.command("report")
@click.argument("name")
@click.option("--patients", "each", is_flag=True, help="Also list each patient's outcome.")
@click.option("--pharmacy", "which", default=None)
def campaign_report(name: str, each: bool, which: str | None) -> None:
    """Outcomes per language: queued, sent, delivered, failed, replied, enrolled, opted out."""
    from rich.console import Console
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    from bot.outreach.campaign_report import REPORT_COLUMNS, campaign_progress
    from bot.outreach.campaign_report import campaign_report as build
    from bot.outreach.campaigns import CampaignError
    from store.db import transaction

    settings = get_settings()
    sessions = _sessions(settings)
    pharmacy_id = _pharmacy_id(sessions, which)
    try:
        with transaction(sessions) as session:
            report = build(session, pharmacy_id, name)
            progress = campaign_progress(session, pharmacy_id, name)
    except CampaignError as error:
        raise Fail(str(error)) from None
    console = Console(width=120)
    bar = ProgressBar(total=max(progress.recipients, 1), completed=progress.written, width=40)
    console.print(bar)
    console.print(f"Progress: {progress.summary()}.", markup=False, highlight=False)
    table = Table(title=f"Campaign {report.campaign!r} ({report.status})")
    table.add_column("language")
    for column in REPORT_COLUMNS:
        table.add_column(column, justify="right")
    for language, counts in sorted(report.by_language.items()):
        table.add_row(language, *(str(counts[c]) for c in REPORT_COLUMNS))
    totals = report.totals()
    table.add_row("all", *(str(totals[c]) for c in REPORT_COLUMNS), style="bold")
    console.print(table)
    console.print(f"Template: {report.template}", markup=False, highlight=False)
    if each:
        for outcome in report.patients:
            line = f"{outcome.external_id} ({outcome.language}): {outcome.outcome}"
            console.print(
                line + (f" - {outcome.note}" if outcome.note else ""), markup=False, highlight=False
            )


@campaign.command("list")
@click.option("--pharmacy", "which", default=None)
def campaign_list(which: str | None) -> None:
    """The pharmacy's campaigns."""
    from bot.outreach.campaigns import list_campaigns
    from store.db import transaction

    settings = get_settings()
    sessions = _sessions(settings)
    pharmacy_id = _pharmacy_id(sessions, which)
    with transaction(sessions) as session:
        found = list_campaigns(session, pharmacy_id)
        if not found:
            click.echo("No campaigns yet. Create one with `medsync campaign create NAME`.")
        for c in found:
            click.echo(f"{c.name}\t{c.status.value}\t{c.audience}\tcreated {c.created_at:%Y-%m-%d}")
