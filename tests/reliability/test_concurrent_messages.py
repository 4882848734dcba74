"""50 texts at once from one patient, across 2 web processes of a real server: every message
is stored once and the conversation ends exactly as a serial replay of the same order does."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import httpx
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.clock import FrozenClock
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Conversation, Direction, Message
from tests.helpers import PUBLIC_URL, TOKEN, Phone, app_client, new_sid, replies, seeded
from tests.reliability.server import served

MARGARET = "+12125550123"
BODIES = ["hi", "yes", "15", "ok", "what?", "STOP", "START", "no", "help", "28"]
AT_ONCE = 50


def _send_together(base: str, requests: list[dict[str, str]]) -> list[httpx.Response]:
    validator = RequestValidator(TOKEN)
    gate = threading.Barrier(len(requests))
    responses: list[httpx.Response | None] = [None] * len(requests)

    def send(i: int) -> None:
        params = requests[i]
        signature = validator.compute_signature(PUBLIC_URL + "/twilio/sms", params)
        with httpx.Client(base_url=base, timeout=60) as client:
            gate.wait()
            responses[i] = client.post(
                "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
            )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in responses if r is not None]


def test_a_burst_from_one_patient_is_stored_once_and_applied_serially(
    db_url: str, tmp_path: Path, sqlite_template: Path
) -> None:
    seeded(db_url)
    phone = Phone(None, MARGARET)  # type: ignore[arg-type]  # only to build the forms
    requests = [phone.params(BODIES[i % len(BODIES)], sid=new_sid()) for i in range(AT_ONCE)]
    with served(db_url, processes=2) as base:
        responses = _send_together(base, requests)
    assert [r.status_code for r in responses] == [200] * AT_ONCE

    sessions = make_sessionmaker(make_engine(db_url))
    with transaction(sessions) as session:
        stored = session.scalars(
            select(Message)
            .where(Message.direction == Direction.INBOUND, Message.phone == MARGARET)
            .order_by(Message.id)  # ids are taken under the conversation's lock: applied order
        ).all()
        state = session.scalars(
            select(Conversation.state).where(Conversation.phone == MARGARET)
        ).one()
    assert sorted(m.sid or "" for m in stored) == sorted(p["MessageSid"] for p in requests)
    answered = {p["MessageSid"]: r.text for p, r in zip(requests, responses, strict=True)}
    assert all(m.reply == answered[m.sid or ""] for m in stored)

    # The same texts one after the other, in the order the server applied them.
    serial_db = tmp_path / "serial.db"
    shutil.copy(sqlite_template, serial_db)
    sqlite_url = f"sqlite:///{serial_db}"
    serial = Phone(app_client(sqlite_url, FrozenClock(dt.datetime.now(dt.UTC))), MARGARET)
    for message in stored:
        assert serial.text(message.body) == replies(message.reply or ""), message.body
    with transaction(make_sessionmaker(make_engine(sqlite_url))) as session:
        replayed = session.scalars(
            select(Conversation.state).where(Conversation.phone == MARGARET)
        ).one()
    assert state == replayed
