"""`medsync serve`, `medsync db upgrade` and `medsync chat`: running the bot and talking to it."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.common import Fail, pharmacy_named, sessions_for, talking_to
from bot.conversation.messages import normalize_phone
from bot.imports import demo
from bot.settings import get_settings, twilio_problem
from store.db import check_ready, sqlite_file, transaction, upgrade
from store.models import Pharmacy


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Seed a demo pharmacy and its patients.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1, max=64),
    help="Web processes sharing the port (PostgreSQL only).",
)
def serve(host: str, port: int, with_demo: bool, workers: int) -> None:
    """Run the web app (Twilio webhooks, the inbox, the API)."""
    import uvicorn

    from bot.web.app import create_app

    settings = get_settings()
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise Fail(
            f"--workers {workers} needs PostgreSQL: SQLite takes one writer at a time, so "
            "more web processes on one SQLite file only wait for each other; run one process "
            "(leave out --workers) or set MEDSYNC_DATABASE_URL to a PostgreSQL database."
        )
    if settings.database_url.startswith("sqlite"):
        upgrade(settings.database_url)  # the embedded default keeps itself current
    else:
        check_ready(settings.database_url)
    updates: dict[str, object] = {}
    if not settings.public_url:
        updates["public_url"] = f"http://{host}:{port}"
    if with_demo:
        token = settings.twilio_auth_token or demo.auth_token(Path(settings.demo_token_file))
        updates["twilio_auth_token"] = token
        if settings.sender is None:
            updates["sender"] = "console"  # the demo prints that it would text; says so below
        with transaction(sessions_for(settings)) as session:
            lines = demo.seed(session, dt.datetime.now(dt.UTC))
        for line in lines:
            click.echo(line)
        click.echo(
            f"\nTry it: in another terminal, in this folder, run\n"
            f"  medsync chat {demo.DEMO_PATIENT_PHONE}\n"
            f"to text the bot as {demo.DEMO_PATIENT_NAME}.\n"
            f"The pharmacist's inbox: `medsync user add you@example.org --role admin`, then "
            f"open http://{host}:{port}/login\n"
        )
        if "sender" in updates:
            click.echo("Texts the bot sends on its own are printed here, not sent.\n")
    else:
        if not settings.twilio_auth_token:
            raise Fail("Set TWILIO_AUTH_TOKEN (or use --demo): every webhook is checked with it.")
        problem = twilio_problem(settings)
        if problem:
            raise Fail(problem)
        if settings.sender_kind == "twilio":
            with transaction(sessions_for(settings)) as session:
                if not _any_pharmacy(session):
                    raise Fail(
                        "No pharmacy has a Twilio number to send from yet: add one with "
                        "`medsync pharmacy add NAME --phone ... --twilio-number ... "
                        "--timezone ...`."
                    )
    settings = settings.model_copy(update=updates)
    if workers > 1:
        # Each process builds its own app from the environment: hand it what was worked out.
        os.environ.update({ENVIRONMENT[name]: str(value) for name, value in updates.items()})
        uvicorn.run(
            "bot.web.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            forwarded_allow_ips=settings.forwarded_allow_ips,
            # A process importing the app on a busy machine can take longer than uvicorn's
            # default 5 s to answer its first health check; it is not hung, let it start.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
        return
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


WORKER_HEALTHCHECK_SECONDS = 60

# The settings `serve` may fill in, and the variables that carry them to its processes.
ENVIRONMENT = {
    "public_url": "MEDSYNC_PUBLIC_URL",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "sender": "MEDSYNC_SENDER",
}


def _any_pharmacy(session: Session) -> bool:
    return session.scalar(select(Pharmacy.id).limit(1)) is not None


# ---------------------------------------------------------------------- db


@click.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations, as the tables' owner (MEDSYNC_OWNER_DATABASE_URL when
    set, else MEDSYNC_DATABASE_URL)."""
    settings = get_settings()
    url = settings.owner_database_url or settings.database_url
    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise Fail(
            f"The folder {path.parent} does not exist: create it, or set MEDSYNC_DATABASE_URL "
            "to a database somewhere else."
        )
    upgrade(url)
    click.echo("Database is up to date.")


@click.command()
@click.argument("phone")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="The running server."
)
@click.option(
    "--to", "to", default=None, help="The pharmacy's Twilio number (default: the only one)."
)
def chat(phone: str, url: str, to: str | None) -> None:
    """Text the running bot as the patient with this phone number (Ctrl-D to stop)."""
    from bot.cli.chat import Chat

    settings = get_settings()
    token = settings.twilio_auth_token or demo.read_token(Path(settings.demo_token_file))
    if not token:
        raise Fail("No auth token: set TWILIO_AUTH_TOKEN, or start the server with --demo here.")
    if to is None:
        with transaction(sessions_for(settings)) as session:
            to = pharmacy_named(session, None).twilio_number
    conversation = Chat(
        base_url=url,
        public_url=settings.public_url or url,
        token=token,
        from_=normalize_phone(phone),
        to=to,
    )
    click.echo(f"Texting {to} as {normalize_phone(phone)}. Type a message; Ctrl-D ends.")
    for line in sys.stdin:
        with talking_to(url):
            replies = conversation.send(line.rstrip("\n"))
        for reply in replies or ["(no reply)"]:
            click.echo(f"bot> {reply}")
