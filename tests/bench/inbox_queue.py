"""How long the inbox takes with 10,000 pending items and a 1,000-message thread (a
benchmark, not a test).

    .venv/bin/python -m tests.bench.inbox_queue [sqlite|postgresql]

Seeds a fresh database (SQLite in a temporary folder, or a PostgreSQL schema of its own on
the test server, dropped afterwards): 5,000 patients, 10,000 pending items (8,000 of
patients, two each; 2,000 of unknown numbers), each opened by a text, and one patient with a
1,000-message conversation and an open item. Signs in, and times the first page (latest
words, unread marks, grouping), a deep page, a kind filter, every status, a search by name
and by phone, the item with the long thread and its live notice. Prints the figures (the
median of 10 requests, in process: server time plus the test client's own small share);
asserts nothing.
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
from sqlalchemy import insert, select

from bot.clock import FrozenClock
from bot.imports import demo
from bot.inbox import auth
from bot.web.app import create_app
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    Patient,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from tests.bench.common import fresh_database
from tests.helpers import NOW
from tests.inbox.conftest import RecordingJobs, settings_for, sign_in
from tests.inbox.factories import add_user, main_pharmacy

ITEMS = 10_000
PATIENTS = 5_000
OF_PATIENTS = 8_000  # two items each; the rest come from unknown numbers
THREAD = 1_000
RUNS = 10
FIRST_NAMES = ["Ana", "Bo", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "June"]
LAST_NAMES = ["Okoro", "Pham", "Quinn", "Rossi", "Silva", "Tran", "Ueda", "Vega", "Weiss"]


def _phone(n: int) -> str:
    return f"+1646{n:07d}"


def seed(url: str) -> int:
    """The data; returns the id of the item whose patient has the 1,000-message thread."""
    engine = make_engine(url)  # a fresh database: tests.bench.common.fresh_database
    sessions = make_sessionmaker(engine)
    kinds = list(ReviewKind)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        pharmacy_id = main_pharmacy(session).id
        add_user(session, "bench@example.org", Role.PHARMACIST, [pharmacy_id])
        session.execute(
            insert(Patient),
            [
                {
                    "pharmacy_id": pharmacy_id,
                    "external_id": f"B{n:06d}",
                    "first_name": FIRST_NAMES[n % len(FIRST_NAMES)],
                    "last_name": f"{LAST_NAMES[n % len(LAST_NAMES)]}{n}",
                    "phone": _phone(n),
                    "language": "en",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(PATIENTS + 1)  # the last one has the long thread
            ],
        )
        patient_ids = dict(
            session.execute(
                select(Patient.external_id, Patient.id).where(Patient.external_id.like("B%"))
            ).all()
        )
        rows = []
        texts = []
        for n in range(ITEMS):
            at = NOW - dt.timedelta(seconds=ITEMS - n)
            who = n % PATIENTS if n < OF_PATIENTS else None
            phone = _phone(who) if who is not None else f"+1917555{n:04d}"
            patient_id = patient_ids[f"B{who:06d}"] if who is not None else None
            rows.append(
                {
                    "pharmacy_id": pharmacy_id,
                    "patient_id": patient_id,
                    "phone": phone,
                    "kind": kinds[n % len(kinds)],
                    "status": ReviewStatus.PENDING,
                    "priority": 0 if n % 10 == 0 else 1,
                    "summary": "A patient wrote something no dialog was waiting for.",
                    "details": {},
                    "created_at": at,
                }
            )
            texts.append(_text(pharmacy_id, patient_id, phone, f"Message {n}: please call me", at))
        session.execute(insert(ReviewItem), rows)
        talker = patient_ids[f"B{PATIENTS:06d}"]
        start = NOW - dt.timedelta(days=30)
        for n in range(THREAD):
            at = start + dt.timedelta(minutes=40 * n)
            texts.append(_text(pharmacy_id, talker, _phone(PATIENTS), f"Line {n}", at, n % 2 == 1))
        session.execute(insert(Message), texts)
        item = ReviewItem(
            pharmacy_id=pharmacy_id,
            patient_id=talker,
            phone=_phone(PATIENTS),
            kind=ReviewKind.MESSAGE,
            status=ReviewStatus.PENDING,
            priority=0,
            summary="A patient wrote something no dialog was waiting for.",
            details={},
            created_at=NOW,
        )
        session.add(item)
        session.flush()
        long_thread_item = item.id
    engine.dispose()
    return long_thread_item


def _text(
    pharmacy_id: int,
    patient_id: int | None,
    phone: str,
    body: str,
    at: dt.datetime,
    outbound: bool = False,
) -> dict[str, object]:
    return {
        "pharmacy_id": pharmacy_id,
        "patient_id": patient_id,
        "direction": Direction.OUTBOUND if outbound else Direction.INBOUND,
        "channel": Channel.SMS,
        "phone": phone,
        "body": body,
        "status": MessageStatus.SENT if outbound else MessageStatus.RECEIVED,
        "created_at": at,
    }


CPU: dict[str, float] = {}


def timed(client: TestClient, path: str) -> tuple[float, str]:
    """The median wall time of a request, in ms; the median CPU time (this process: the
    server's work and the test client's) goes to CPU[path], a figure other processes on a
    busy machine do not inflate."""
    times, cpu = [], []
    response = client.get(path)
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.text
    CPU[path] = statistics.median(cpu) * 1000
    return statistics.median(times) * 1000, response.text


def main() -> None:
    auth.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    # Its own schema on PostgreSQL, dropped afterwards: the shared server's others are left alone.
    with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
        long_thread_item = seed(url)
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
        name_ms, found = timed(client, "/inbox?q=Rossi13")
        assert "Rossi13" in found
        phone_ms, found = timed(client, "/inbox?q=646-000-0123")
        assert "B000123" in found
        item_ms, page = timed(client, f"/inbox/items/{long_thread_item}")
        assert "Line 999" in page
        live_ms, _ = timed(client, f"/inbox/items/{long_thread_item}/live")
        cpu = iter(CPU.values())
        print(f"{ITEMS} pending items on {url.split(':')[0]} (median of {RUNS} requests,")
        print("wall time, then CPU time; the walk to page 101 is not timed):")
        print(f"  first page        {first_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  page 101          {deep_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  one kind          {kind_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  every status      {all_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  search by name    {name_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  search by phone   {phone_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  {THREAD}-message item {item_ms:7.1f} ms {next(cpu):7.1f} ms")
        print(f"  its live notice   {live_ms:7.1f} ms {next(cpu):7.1f} ms")


if __name__ == "__main__":
    main()
