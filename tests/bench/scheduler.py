"""The scheduler's tick over a large program: time and memory of finding what is due.

    .venv/bin/python -m tests.bench.scheduler [sqlite|postgresql] [--patients 1000000]

Bulk-loads `--patients` enrolled patients (COPY on PostgreSQL, executemany on SQLite) in
the steady state of a running program: pickup dates spread over the next 28 days, this
cycle's check-ins already open and answered for everyone within a week of their pickup, and
the pickup reminders for tomorrow already sent, except for `--due` patients of each kind
whose turn has just come. Then it times one tick (`Scheduler.find_due`) and each of its
finding queries, and prints the growth of the resident set during the tick. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select, text

from bot.channels.sms import render_sms
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from bot.outreach.scheduler import Scheduler
from store.db import make_engine, make_sessionmaker, transaction
from store.models import CheckIn, Enrollment, Patient, Pharmacy
from store.outreach import CycleEvent
from tests.bench.common import PHARMACY_NUMBER, fresh_database

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
TODAY = dt.date(2026, 11, 29)
DAYS = 28  # pickup dates spread over the next 28 days
CHUNK = 20_000
INDEXES = ("ix_enrollment_due", "ix_check_in_due")  # migration 0015


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _patients(first_id: int, pharmacy_id: int, count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        yield (
            first_id + n,
            pharmacy_id,
            f"B{n:07d}",
            "Pat",
            f"Bench{n}",
            f"+1{200 + n // 10_000_000}{n % 10_000_000:07d}",
            "mobile",
            "en",
            True,
            False,
            NOW,
            NOW,
        )


PATIENT_COLUMNS = (
    "id",
    "pharmacy_id",
    "external_id",
    "first_name",
    "last_name",
    "phone",
    "phone_type",
    "language",
    "language_confirmed",
    "opted_out",
    "created_at",
    "updated_at",
)


def _offset(n: int) -> int:
    """Days from today to patient n's next pickup: 1 to 28."""
    return 1 + n % DAYS


def _enrollments(first_id: int, count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        anchor = TODAY + dt.timedelta(days=_offset(n))
        yield (first_id + n, "active", anchor.day, "monthly", anchor, NOW)


ENROLLMENT_COLUMNS = (
    "patient_id",
    "status",
    "anchor_day",
    "cycle",
    "next_anchor_date",
    "updated_at",
)


def _settled(n: int, due: int) -> bool:
    """Patient n's check-in was opened (and answered) on an earlier tick: everyone within a
    week of their pickup but the first `due` of those whose check-in falls due today."""
    return _offset(n) <= 7 and not (_offset(n) == 7 and n // DAYS < due)


def _check_ins(first_id: int, count: int, due: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        if _settled(n, due):
            anchor = TODAY + dt.timedelta(days=_offset(n))
            opened = NOW - dt.timedelta(days=7 - _offset(n))
            yield (first_id + n, anchor, "ready", "check_in@1", "{}", "[]", opened, opened)


CHECK_IN_COLUMNS = (
    "patient_id",
    "anchor_date",
    "status",
    "definition",
    "answers",
    "flags",
    "opened_at",
    "completed_at",
)


def _events(first_id: int, count: int, due: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        if _settled(n, due):
            anchor = TODAY + dt.timedelta(days=_offset(n))
            yield (first_id + n, anchor, "check_in", NOW)
            if _offset(n) == 1 and n // DAYS >= due:
                yield (first_id + n, anchor, "pickup_reminder", NOW)


EVENT_COLUMNS = ("patient_id", "anchor_date", "kind", "created_at")


def _load(
    engine: Engine, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    count = 0
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            copying = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(copying) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        cursor = raw.cursor()  # type: ignore[union-attr]
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite(value) for value in row))
            if len(batch) >= CHUNK:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        cursor.executemany(statement, batch)
        return count + len(batch)


def _sqlite(value: Any) -> Any:
    """Values as SQLAlchemy stores them on SQLite (ISO text for dates and times)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def seed(url: str, patients: int, due: int) -> int:
    """The pharmacy and its program; the pharmacy's id."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        pharmacy = Pharmacy(
            name="Bench Pharmacy",
            phone="+12125550199",
            twilio_number=PHARMACY_NUMBER,
            timezone="America/New_York",
            state="NY",
            created_at=NOW,
        )
        session.add(pharmacy)
        session.flush()
        pharmacy_id = pharmacy.id
        first_id = int(session.scalar(select(func.coalesce(func.max(Patient.id), 0))) or 0) + 1
    _load(engine, "patient", PATIENT_COLUMNS, _patients(first_id, pharmacy_id, patients))
    _load(engine, "enrollment", ENROLLMENT_COLUMNS, _enrollments(first_id, patients))
    _load(engine, "check_in", CHECK_IN_COLUMNS, _check_ins(first_id, patients, due))
    _load(engine, "cycle_event", EVENT_COLUMNS, _events(first_id, patients, due))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('patient_id_seq', (SELECT max(id) FROM patient))"))
            # Only the loaded tables: a bare ANALYZE takes locks across every schema on the
            # shared server and deadlocked other test runs' TRUNCATEs.
            conn.execute(text("ANALYZE patient, enrollment, check_in, cycle_event"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return pharmacy_id


class _Statements:
    """Each statement's time during the tick, for the figures."""

    def __init__(self) -> None:
        self.timed: list[tuple[float, str]] = []
        self._started: float = 0.0

    def before(self, conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        self.timed.append((time.perf_counter() - self._started, statement))


def tick(url: str) -> tuple[float, float, list[tuple[float, str]], str]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    clock = FrozenClock(NOW)
    runtime = Runtime(sessions, clock, render_sms=render_sms)
    statements = _Statements()
    event.listen(engine, "before_cursor_execute", statements.before)
    event.listen(engine, "after_cursor_execute", statements.after)
    before = rss_mb()
    started = time.perf_counter()
    report = Scheduler(sessions, runtime, clock).find_due()
    seconds = time.perf_counter() - started
    grown = rss_mb() - before
    engine.dispose()
    return seconds, grown, statements.timed, report.summary()


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=20, help="patients due of each kind")
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="drop migration 0015's indexes first (the figures before it)",
    )
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        started = time.perf_counter()
        seed(url, args.patients, args.due)
        if args.without_indexes:
            engine = make_engine(url)
            with engine.begin() as conn:
                for index in INDEXES:
                    conn.execute(text(f"DROP INDEX {index}"))
            engine.dispose()
        out(
            f"Scheduler over {args.patients:,} enrolled patients on {args.database}"
            f"{' without the 0015 indexes' if args.without_indexes else ''} "
            f"(loaded in {time.perf_counter() - started:.1f} s):"
        )
        with transaction(make_sessionmaker(make_engine(url))) as session:
            counts = {
                model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Patient, Enrollment, CheckIn, CycleEvent)
            }
        out("  rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        seconds, grown, timed, summary = tick(url)
        out(f"  one tick               {seconds:6.2f} s   resident set grew {grown:5.1f} MB")
        out(f"  it did: {summary}")
        finding = sorted((t, s) for t, s in timed if s.lstrip().upper().startswith("SELECT"))
        finding_seconds = sum(t for t, _ in finding)
        out(
            f"  {len(timed)} statements, {len(finding)} SELECTs taking {finding_seconds:.2f} s "
            "(the finding step, and the reads of acting on what it found); the slowest:"
        )
        for spent, statement in reversed(finding[-5:]):
            out(f"    {spent * 1000:8.1f} ms  {_first_line(statement)}")


def _first_line(statement: str) -> str:
    flat = " ".join(statement.split())
    where = flat.find(" WHERE ")
    return (flat[:60] + " ..." + flat[where : where + 110]) if where > 0 else flat[:170]


if __name__ == "__main__":
    main()
