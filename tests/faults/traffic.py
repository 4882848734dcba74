"""Signed texts to running web processes, and the check every fault test ends with: what the
servers stored equals a serial replay of the same texts on a fresh database."""

from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.clock import FrozenClock
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    CheckIn,
    ConsentEvent,
    Conversation,
    Direction,
    Enrollment,
    Message,
    ReviewItem,
)
from tests.helpers import PHARMACY_NUMBER, PUBLIC_URL, TOKEN, Phone, app_client, replies

VALIDATOR = RequestValidator(TOKEN)
# Rows a text can write; a half-written text would leave one of these counts off.
WRITTEN = (Message, ConsentEvent, ReviewItem, CheckIn, Enrollment, Conversation)


def text_form(phone: str, body: str, sid: str | None = None) -> dict[str, str]:
    return {
        # Not tests.helpers.new_sid: its SIDs look like the fake Twilio API's own.
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "SmsSid": "",
        "AccountSid": "AC" + "1" * 32,
        "From": phone,
        "To": PHARMACY_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }


def post_text(client: httpx.Client, form: dict[str, str]) -> httpx.Response:
    signature = VALIDATOR.compute_signature(PUBLIC_URL + "/twilio/sms", form)
    return client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})


@dataclass
class Attempt:
    sid: str
    status: int  # 0: no answer at all (the connection failed)
    sent: float
    answered: float
    body: str = ""


@dataclass
class Twilio:
    """Posts texts as Twilio does, retrying a failed one with the same MessageSid."""

    attempts: list[Attempt] = field(default_factory=list)

    def deliver(self, base: str, form: dict[str, str], give_up: float = 60) -> httpx.Response:
        deadline = time.monotonic() + give_up
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                sent = time.monotonic()
                try:
                    response = post_text(client, form)
                except httpx.TransportError:
                    self.attempts.append(Attempt(form["MessageSid"], 0, sent, time.monotonic()))
                else:
                    self.attempts.append(
                        Attempt(
                            form["MessageSid"],
                            response.status_code,
                            sent,
                            time.monotonic(),
                            response.text,
                        )
                    )
                    if response.status_code == 200:
                        return response
                if time.monotonic() > deadline:
                    raise AssertionError(f"{form['MessageSid']} never answered 200")
                time.sleep(0.2)

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.attempts)


def row_counts(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in WRITTEN
            }
    finally:
        engine.dispose()


def assert_stored_once_and_serial(
    db_url: str, forms: list[dict[str, str]], answers: dict[str, str], replay_dir: Path,
    sqlite_template: Path,
) -> int:  # fmt: skip
    """Every text stored exactly once with the answer Twilio finally got, and a serial replay
    of the texts in the order the server applied them (message ids are taken under the
    conversation's lock) gives the same answers, the same conversation states and the same
    number of rows in every table a text writes. Returns how many texts were compared."""
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as session:
        stored = session.scalars(
            select(Message).where(Message.direction == Direction.INBOUND).order_by(Message.id)
        ).all()
        states = {
            c.phone: c.state for c in session.scalars(select(Conversation)) if c.state is not None
        }
    engine.dispose()
    sids = [m.sid for m in stored]
    assert sorted(s or "" for s in sids) == sorted(f["MessageSid"] for f in forms)
    assert len(set(sids)) == len(sids), "a MessageSid was stored twice"
    for message in stored:
        assert message.reply == answers[message.sid or ""], message.sid

    replay_db = replay_dir / "serial.db"
    shutil.copy(sqlite_template, replay_db)
    replay_url = f"sqlite:///{replay_db}"
    client = app_client(replay_url, FrozenClock(dt.datetime.now(dt.UTC)))
    phones: dict[str, Phone] = {}
    for message in stored:
        phone = phones.setdefault(message.phone, Phone(client, message.phone))
        assert phone.text(message.body) == replies(message.reply or ""), (
            message.phone,
            message.body,
        )
    engine = make_engine(replay_url)
    with transaction(make_sessionmaker(engine)) as session:
        replayed = {
            c.phone: c.state for c in session.scalars(select(Conversation)) if c.state is not None
        }
    engine.dispose()
    assert states == replayed
    assert row_counts(db_url) == row_counts(replay_url)
    return len(stored)
