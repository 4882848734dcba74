"""How long the inbox queue takes with 10,000 pending items (a benchmark, not a test).

    .venv/bin/python -m tests.bench.inbox_queue [sqlite|postgresql]

Seeds a fresh database (SQLite in a temporary folder, or a PostgreSQL schema of its own on
the test server, dropped afterwards), signs in, and times the first page, a deep page, a kind
filter and the counts. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import insert

from bot.clock import FrozenClock
from bot.imports import demo
from bot.inbox import auth
from bot.web.app import create_app
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import ReviewItem, ReviewKind, ReviewStatus
from tests.bench.common import fresh_database
from tests.helpers import NOW
from tests.inbox.conftest import RecordingJobs, settings_for, sign_in
from tests.inbox.factories import add_user, main_pharmacy

ITEMS = 10_000
RUNS = 10


def seed(url: str) -> int:
    engine = make_engine(url)  # a fresh database: tests.bench.common.fresh_database
    sessions = make_sessionmaker(engine)
    kinds = list(ReviewKind)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        pharmacy_id = main_pharmacy(session).id
        add_user(session, "bench@example.org", Role.PHARMACIST, [pharmacy_id])
        session.execute(
            insert(ReviewItem),
            [
                {
                    "pharmacy_id": pharmacy_id,
                    "phone": f"+1917555{n % 10000:04d}",
                    "kind": kinds[n % len(kinds)],
                    "status": ReviewStatus.PENDING,
                    "priority": 0 if n % 10 == 0 else 1,
                    "summary": "A phone number we do not know sent a message.",
                    "details": {},
                    "created_at": NOW - dt.timedelta(seconds=ITEMS - n),
                }
                for n in range(ITEMS)
            ],
        )
    engine.dispose()
    return pharmacy_id


def timed(client: TestClient, path: str) -> tuple[float, str]:
    times = []
    response = client.get(path)
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(times) * 1000, response.text


def main() -> None:
    auth.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    # Its own schema on PostgreSQL, dropped afterwards: the shared server's others are left alone.
    with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
        seed(url)
        app = create_app(settings_for(url), clock=FrozenClock(NOW), jobs=RecordingJobs())
        client = TestClient(app, base_url="https://testserver")
        sign_in(client, "bench@example.org")
        first_ms, _ = timed(client, "/inbox")
        cursor = client.get("/inbox").context["next_cursor"]  # type: ignore[attr-defined]
        for _ in range(100):  # walk to page 100 of 200
            cursor = client.get(f"/inbox?after={cursor}").context["next_cursor"]  # type: ignore[attr-defined]
        deep_ms, _ = timed(client, f"/inbox?after={cursor}")
        kind_ms, _ = timed(client, "/inbox?kind=call_back")
        all_ms, _ = timed(client, "/inbox?status=all")
        print(f"{ITEMS} pending items on {url.split(':')[0]} (median of {RUNS} requests):")
        print(f"  first page        {first_ms:7.1f} ms")
        print(f"  page 101          {deep_ms:7.1f} ms")
        print(f"  one kind          {kind_ms:7.1f} ms")
        print(f"  every status      {all_ms:7.1f} ms")


if __name__ == "__main__":
    main()
