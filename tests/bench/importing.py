"""The import of a large pharmacy export: time and peak memory.

    .venv/bin/python -m tests.bench.importing [sqlite|postgresql] [--rows 100000]

Generates the export (tests/bench/generate.py, 3 prescriptions a patient) into a file first,
then imports it into a fresh database twice: a first import, and a re-import of the unchanged
file. Peak memory is the process's maximum resident set (it includes the interpreter and the
libraries, about 100 MB). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.imports.pharmacy_export import import_export
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Pharmacy
from tests.bench import generate
from tests.bench.common import PHARMACY_NUMBER, fresh_database

RX_PER_PATIENT = 3
NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    patients = -(-args.rows // RX_PER_PATIENT)
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        export = Path(folder) / "export.csv"
        with export.open("w", encoding="utf-8") as csv_file:
            generate.write(csv_file, patients, RX_PER_PATIENT)
        sessions = make_sessionmaker(make_engine(url))
        with transaction(sessions) as session:
            session.add(
                Pharmacy(
                    name="Bench Pharmacy",
                    phone="+12125550199",
                    twilio_number=PHARMACY_NUMBER,
                    timezone="America/New_York",
                    state="NY",
                    created_at=NOW,
                )
            )
        out(f"Import of {patients * RX_PER_PATIENT} rows ({patients} patients) on {args.database}:")
        out(f"  before importing       peak {peak_mb():6.0f} MB")
        for label in ["first import", "unchanged re-import"]:
            started = time.perf_counter()
            with transaction(sessions) as session, export.open(encoding="utf-8") as rows:
                pharmacy = session.query(Pharmacy).one()
                report = import_export(session, pharmacy, rows, NOW)
            seconds = time.perf_counter() - started
            counts = report.summary().splitlines()[0]
            out(f"  {label:22} {seconds:6.1f} s   peak {peak_mb():6.0f} MB   {counts}")


if __name__ == "__main__":
    main()
