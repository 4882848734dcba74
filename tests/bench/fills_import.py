"""The import of a large fills file (100,000 fills by default): time and peak memory.

    .venv/bin/python -m tests.bench.fills_import [sqlite|postgresql] [--fills 100000]

Generates an export (tests/bench/generate.py, 3 prescriptions a patient) and a year of 30- or
90-day fills for each prescription, walking back from its last fill with a few late days
(bot/imports/demo_fills.history), imports the export, then imports the fills file three times: the
first import, an unchanged re-import, and a file whose days' supply changed on every fill.
Then the year's program adherence. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.imports.demo_fills import history
from bot.imports.fills import import_fills
from bot.imports.pharmacy_export import import_export
from bot.program.adherence import program_adherence
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Pharmacy
from tests.bench import generate
from tests.bench.common import PHARMACY_NUMBER, fresh_database
from tests.bench.importing import NOW, RX_PER_PATIENT, peak_mb

FILLS_PER_RX = 9  # about a year: 30-day supplies are 4 in 5


def write_fills(export: Path, out: Path, bump: int = 0) -> int:
    written = 0
    with export.open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as o:
        writer = csv.writer(o, lineterminator="\n")
        writer.writerow(["patient_id", "rx_number", "fill_date", "days_supply", "quantity"])
        for n, rx in enumerate(csv.DictReader(f)):
            days = int(rx["days_supply"])
            last = dt.date.fromisoformat(rx["last_fill_date"])
            late = (0, 1, 5, 2) if n % 3 else (9, 14, 6)
            for date in history(last, days, late, last - dt.timedelta(days=365)):
                writer.writerow([rx["patient_id"], rx["rx_number"], date, days + bump, days])
                written += 1
    return written


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--fills", type=int, default=100_000)
    args = parser.parse_args(argv)
    patients = -(-args.fills // (RX_PER_PATIENT * FILLS_PER_RX))
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        export, fills, changed = (Path(folder) / n for n in ("e.csv", "f.csv", "c.csv"))
        with export.open("w", encoding="utf-8") as file:
            generate.write(file, patients, RX_PER_PATIENT)
        count = write_fills(export, fills)
        write_fills(export, changed, bump=-1)
        sessions = make_sessionmaker(make_engine(url))
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
            with export.open(encoding="utf-8") as rows:
                import_export(session, pharmacy, rows, NOW)
        out(f"Import of {count} fills ({patients} patients) on {args.database}:")
        for label, path in [
            ("first import", fills),
            ("unchanged re-import", fills),
            ("every fill changed", changed),
        ]:
            started = time.perf_counter()
            with transaction(sessions) as session, path.open(encoding="utf-8") as rows:
                report = import_fills(session, session.query(Pharmacy).one(), rows, NOW)
            seconds = time.perf_counter() - started
            counts = report.summary().splitlines()[0]
            out(f"  {label:22} {seconds:6.1f} s   peak {peak_mb():6.0f} MB   {counts}")
        started = time.perf_counter()
        with transaction(sessions) as session:
            pharmacy_id = session.query(Pharmacy).one().id
            result = program_adherence(
                session, pharmacy_id, NOW.date().replace(year=2025), NOW.date()
            )
        seconds = time.perf_counter() - started
        out(
            f"  {'program adherence':22} {seconds:6.1f} s   peak {peak_mb():6.0f} MB   "
            f"{len(result.rows)} patient-class rows, "
            f"{result.share_adherent('before')}% adherent"
        )


if __name__ == "__main__":
    main()
