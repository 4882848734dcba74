"""SQL statements per inbound text (a benchmark figure, and the count a test pins).

    .venv/bin/python -m tests.bench.statements [sqlite|postgresql]

Counts every statement the database driver runs while the webhook answers each message of
the enrollment dialog (hi, yes, a pickup day), a retry of one of them, an unknown sender, two
check-in answers (one that asks the next question, one that finishes the check-in: the answers
and the patient's words behind them are written in one statement), a text outside any dialog
(it opens a review item) and one while a pharmacist's reply is open (it goes to that item's
thread, issue 18).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, update

from bot.channels.sms import render_sms
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Conversation, Pharmacy, ReviewItem
from tests.bench.common import fresh_database
from tests.helpers import NOW, Phone, app_client, new_sid

MARGARET = "+12125550123"  # the demo's English patient, not yet invited


class StatementCounter:
    """Counts statements on every engine while active (the app makes its own engine)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.statements.clear()
        event.listen(Engine, "before_cursor_execute", self._count)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)


def per_message(db_url: str) -> dict[str, int]:
    """Statements for each kind of inbound text, on a freshly seeded demo database."""
    client = app_client(db_url)
    phone = Phone(client, MARGARET)
    counter = StatementCounter()
    figures: dict[str, int] = {}
    for label, body in [("hi (the offer)", "hi"), ("yes", "yes"), ("a pickup day", "15")]:
        sid = new_sid()
        with counter.counting():
            phone.text(body, sid=sid)
        figures[label] = counter.count
    with counter.counting():
        phone.text("15", sid=sid)
    figures["a retried MessageSid"] = counter.count
    with counter.counting():
        Phone(client, "+19175550111").text("hello")
    figures["an unknown sender"] = counter.count
    _open_check_in(db_url)
    # The check-in's questions: hospital, changes, missed doses, anything else, still coming.
    for label, body in [("a check-in answer", "no")]:
        with counter.counting():
            phone.text(body)
        figures[label] = counter.count
    for body in ("no", "no", "no"):
        phone.text(body)
    with counter.counting():
        phone.text("yes")
    figures["the last check-in answer"] = counter.count
    _open_staff_thread(db_url, open_thread=False)  # the preference questions left unanswered
    with counter.counting():
        phone.text("is my pickup day confirmed?")
    figures["a text outside a dialog"] = counter.count
    _open_staff_thread(db_url)
    with counter.counting():
        phone.text("is my pickup day confirmed?")
    figures["a text to a staff thread"] = counter.count
    return figures


def _open_check_in(db_url: str) -> None:
    """The scheduler's T-7 step for Margaret (her pickup day is chosen, awaiting approval)."""
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        pharmacy_id = session.scalar(select(Pharmacy.id))
    assert pharmacy_id is not None
    Runtime(sessions, FrozenClock(NOW), render_sms=render_sms).open_check_in(pharmacy_id, "P1001")
    engine.dispose()


def _open_staff_thread(db_url: str, open_thread: bool = True) -> None:
    """Margaret's conversation waits for nothing; with `open_thread`, a pharmacist's reply on
    her newest item is open, as bot/inbox/decisions.py leaves it."""
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as session:
        item_id = session.scalar(
            ReviewItem.__table__.select()
            .with_only_columns(ReviewItem.id)
            .order_by(ReviewItem.id.desc())
            .limit(1)
        )
        session.execute(
            update(Conversation)
            .where(Conversation.phone == MARGARET)
            .values(
                state={},
                staff_thread_item_id=item_id if open_thread else None,
                staff_thread_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
            )
        )
    engine.dispose()


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
        print(f"SQL statements per inbound text on {kind}:")
        for label, count in per_message(url).items():
            print(f"  {label:26} {count:3d}")


if __name__ == "__main__":
    main()
