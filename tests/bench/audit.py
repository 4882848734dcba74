"""The cost of a chained audit write (issue 17): one transaction holding one `record` call
(lock the chain's head, insert the row, move the head), against the same transaction
inserting an unchained row; and how long `medsync audit verify` takes per row.

    .venv/bin/python -m tests.bench.audit                      # SQLite
    .venv/bin/python -m tests.bench.audit postgresql --rows 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import insert

from store import audit
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditEvent, Pharmacy
from tests.bench.common import fresh_database

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def _timed(run: Callable[[], None], times: int) -> list[float]:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        took.append((time.perf_counter() - start) * 1000)
    return took


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            pharmacy = Pharmacy(
                name="Bench", phone="+12125550199", twilio_number="+12125550100",
                timezone="America/New_York", created_at=NOW,
            )  # fmt: skip
            session.add(pharmacy)
            session.flush()
            pharmacy_id = pharmacy.id
        after = {"items": list(range(50)), "status": "pending"}

        def chained() -> None:
            with transaction(sessions) as session:
                audit.record(
                    session, "dana@example.org", "view_queue", "queue", NOW, after=after,
                    pharmacy_id=pharmacy_id, patients=range(1000, 1050),
                )  # fmt: skip

        count = iter(range(1, 10**9))

        def unchained() -> None:  # the row as it was before issue 17: one INSERT
            with transaction(sessions) as session:
                session.execute(
                    insert(AuditEvent).values(
                        actor="dana@example.org", action="view_queue", subject="queue",
                        after=after, created_at=NOW, chain=-1, seq=next(count), outcome="ok",
                        chain_hash="-",
                    )
                )  # fmt: skip

        plain: list[float] = []
        timed: list[float] = []
        for _ in range(args.rows):  # alternating, so the machine's load falls on both alike
            plain += _timed(unchained, 1)
            timed += _timed(chained, 1)
        with transaction(sessions) as session:
            start = time.perf_counter()
            report = audit.verify(session, pharmacy_id)
            walked = (time.perf_counter() - start) * 1000
        engine.dispose()
    out(f"Audit writes on {args.database}, {args.rows} transactions each (median, p95):")
    for label, took in (("unchained INSERT", plain), ("chained record()", timed)):
        p95 = statistics.quantiles(took, n=20)[-1] if len(took) >= 20 else max(took)
        out(f"  {label:18} {statistics.median(took):6.2f} ms  {p95:6.2f} ms")
    out(
        f"  the chain adds {statistics.median(timed) - statistics.median(plain):.2f} ms a "
        f"transaction; verify walked {report.rows} rows in {walked:.0f} ms "
        f"({walked / max(report.rows, 1) * 1000:.0f} µs a row), intact: {report.intact}"
    )


if __name__ == "__main__":
    main()
