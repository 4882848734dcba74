"""Server time of the item page (issue 18) with a long conversation: a flagged check-in whose
patient has 1,000 messages and four other open items, on a freshly migrated database.

    .venv/bin/python -m tests.bench.item_page [sqlite|postgresql]

Prints the median and the slowest of 20 renders (signed in, through the ASGI app, no network).
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from bot.clock import FrozenClock
from bot.imports import demo
from bot.web.app import create_app
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Channel, Direction, Message, MessageStatus
from tests.bench.common import fresh_database
from tests.helpers import NOW, new_sid
from tests.inbox.conftest import DANA, settings_for, sign_in
from tests.inbox.factories import add_user, flagged_check_in, main_pharmacy, patient, written_item

MESSAGES = 1_000
RENDERS = 20


def seed(url: str) -> int:
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        demo.seed(session, NOW)
        pharmacy = main_pharmacy(session)
        add_user(session, DANA, Role.PHARMACIST, [pharmacy.id], "Dana Reyes")
        margaret = patient(session, "P1001")
        start = NOW - dt.timedelta(days=200)
        session.add_all(
            Message(
                pharmacy_id=pharmacy.id,
                patient_id=margaret.id,
                direction=Direction.INBOUND if i % 2 else Direction.OUTBOUND,
                channel=Channel.SMS,
                sid=new_sid(),
                phone=margaret.phone,
                body=f"Message {i}: about the pickup, the refill and the copay",
                status=MessageStatus.RECEIVED if i % 2 else MessageStatus.SENT,
                created_at=start + dt.timedelta(hours=4 * i),
            )
            for i in range(MESSAGES)
        )
        item_id = flagged_check_in(session, margaret).id
        for words in ("a question", "another", "call me", "thanks"):
            written_item(session, pharmacy.id, words, person=margaret)
    engine.dispose()
    return item_id


def measure(url: str) -> tuple[float, float]:
    item_id = seed(url)
    app = create_app(settings_for(url), clock=FrozenClock(NOW))
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, DANA)
        client.get(f"/inbox/items/{item_id}")  # warm: templates compiled, caches filled
        times = []
        for _ in range(RENDERS):
            started = time.perf_counter()
            response = client.get(f"/inbox/items/{item_id}")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return statistics.median(times), max(times)


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
        median, slowest = measure(url)
    print(f"item page, {MESSAGES} messages, 5 open items, on {kind}:")
    print(f"  median {median:6.1f} ms   slowest {slowest:6.1f} ms   ({RENDERS} renders)")


if __name__ == "__main__":
    main()
