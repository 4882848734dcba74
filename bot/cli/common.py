"""What every `medsync` command shares: plain-sentence failures, the database, the pharmacy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import httpx
import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import SystemClock
from bot.conversation.messages import normalize_phone
from bot.outreach.jobs import InProcessJobs
from bot.outreach.sender import sender_for
from bot.settings import Settings
from store import queries
from store.db import check_ready, make_engine, make_sessionmaker
from store.models import Pharmacy


class Fail(click.ClickException):
    """A plain sentence for the person at the terminal, exit code 1."""


@contextmanager
def talking_to(url: str) -> Iterator[None]:
    """A running bot's refusal or absence, as a sentence (`medsync chat`, `medsync phone`)."""
    try:
        yield
    except httpx.HTTPStatusError as error:
        if error.response.status_code == 403:
            raise Fail(
                "The bot refused the signature: run this in the folder where `medsync serve "
                "--demo` runs, or set the same TWILIO_AUTH_TOKEN and MEDSYNC_PUBLIC_URL."
            ) from None
        raise Fail(f"The bot answered {error.response.status_code}.") from None
    except httpx.TransportError as error:
        raise Fail(
            f"Could not reach the bot at {url} ({error}). Is `medsync serve` running?"
        ) from None


_READY: set[str] = set()


def sessions_for(settings: Settings) -> sessionmaker[Session]:
    """The database a command works on, once it is known to be there and upgraded: otherwise
    one sentence and the command that fixes it (DatabaseNotReady), and nothing created."""
    url = settings.database_url
    if url not in _READY:
        check_ready(url)
        _READY.add(url)
    return make_sessionmaker(make_engine(url))


def send_now(settings: Settings, sessions: sessionmaker[Session]) -> InProcessJobs:
    """Sends from this process at once, so the command can say what happened to each text."""
    return InProcessJobs(sessions, sender_for(settings), SystemClock())


def pharmacy_named(session: Session, which: str | None) -> Pharmacy:
    if which:
        number = normalize_phone(which)
        found = session.scalar(
            select(Pharmacy).where((Pharmacy.twilio_number == number) | (Pharmacy.name == which))
        )
        if found is None:
            raise Fail(f"No pharmacy called or numbered {which!r}. See `medsync pharmacy list`.")
        return found
    only = queries.only_pharmacy(session)
    if only is None:
        raise Fail(
            "Say which pharmacy with --pharmacy (there is none yet: add one with "
            "`medsync pharmacy add`, or there are several)."
        )
    return only


def e164(raw: str, what: str) -> str:
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        raise Fail(f"{what} {raw!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise Fail(f"{what} {raw!r} is not a valid phone number (is the area code missing?).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
