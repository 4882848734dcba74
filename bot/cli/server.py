"""`medsync serve`, `medsync db upgrade` and `medsync chat`: running the bot and talking to it."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from bot.cli.common import Fail, pharmacy_named, sessions_for, talking_to
from bot.conversation.messages import normalize_phone
from bot.imports import demo
from bot.settings import get_settings
from store.db import transaction, upgrade


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Seed a demo pharmacy and its patients.")
def serve(host: str, port: int, with_demo: bool) -> None:
    """Run the web app (Twilio webhooks)."""
    import uvicorn

    from bot.web.app import create_app

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        upgrade(settings.database_url)  # the embedded default keeps itself current
    updates: dict[str, object] = {}
    if not settings.public_url:
        updates["public_url"] = f"http://{host}:{port}"
    if with_demo:
        token = settings.twilio_auth_token or demo.auth_token(Path(settings.demo_token_file))
        updates["twilio_auth_token"] = token
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
    elif not settings.twilio_auth_token:
        raise Fail("Set TWILIO_AUTH_TOKEN (or use --demo): every webhook is checked with it.")
    settings = settings.model_copy(update=updates)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


# ---------------------------------------------------------------------- db


@click.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations."""
    settings = get_settings()
    upgrade(settings.database_url)
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
