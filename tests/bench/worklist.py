"""The prep-day worklist over many patients: one anchor day planned per patient.

    .venv/bin/python -m tests.bench.worklist [sqlite|postgresql] [--patients 2000]

Imports `--patients` generated patients (2 prescriptions each), enrolls them all with pickups
spread over the 28 days from Dec 4, 2026, closes the pharmacy on Sundays and US federal holidays,
and times `worklist()` for each preparation day of that month: the query, the plans (one anchor
day per patient, not the 28 a recommendation compares) and the lists. Every enrollment is in its
first cycle, the worst case: its sync visits (the plan's trips before the first pickup) are
listed too, each patient planned on every preparation day before that pickup. With `--settled`
each has a pickup cycle behind it (a pharmacy's steady state): only the pickups are listed. The
tables are analyzed after the load, as autovacuum would. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import select, text

from bot.program.worklist import worklist
from store.db import make_engine, make_sessionmaker, transaction
from store.dispensing import CycleState, PickupCycle
from store.models import Enrollment, EnrollmentStatus, Patient, Pharmacy
from tests.bench.common import fresh_database, seed_patients

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
FIRST = dt.date(2026, 12, 4)


def enroll_everyone(url: str, settled: bool = False) -> None:
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        pharmacy = session.scalar(select(Pharmacy))
        assert pharmacy is not None
        pharmacy.open_days = {"closed_weekdays": [6]}
        ids = session.scalars(select(Patient.id).order_by(Patient.id)).all()
        session.add_all(
            Enrollment(
                patient_id=patient_id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=(FIRST + dt.timedelta(days=n % 28)).day,
                cycle="monthly",
                next_anchor_date=FIRST + dt.timedelta(days=n % 28),
                updated_at=NOW,
            )
            for n, patient_id in enumerate(ids)
        )
        if settled:  # a cycle behind each: no first-cycle trips
            session.add_all(
                PickupCycle(
                    patient_id=patient_id,
                    anchor_date=FIRST - dt.timedelta(days=28),
                    state=CycleState.PICKED_UP.value,
                    updated_at=NOW,
                )
                for patient_id in ids
            )
    with engine.begin() as conn:  # as autovacuum would after a load: fresh statistics
        conn.execute(text("ANALYZE"))
    engine.dispose()


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", choices=["sqlite", "postgresql"], nargs="?", default="sqlite")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--settled", action="store_true", help="A pickup cycle behind each.")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        seed_patients(url, args.patients, NOW)
        enroll_everyone(url, args.settled)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        days = [dt.date(2026, 12, 1) + dt.timedelta(days=n) for n in range(28)]
        listed_patients = visits = fills = 0
        slowest = 0.0
        started = time.perf_counter()
        for day in days:
            began = time.perf_counter()
            with transaction(sessions) as session:
                pharmacy = session.scalar(select(Pharmacy))
                assert pharmacy is not None
                found = worklist(session, pharmacy, day)
            slowest = max(slowest, time.perf_counter() - began)
            listed_patients += sum(len(d.patients) for d in found.days)
            visits += sum(p.sync_visit for d in found.days for p in d.patients)
            fills += found.fills
        took = time.perf_counter() - started
        engine.dispose()
    per_patient = took / max(listed_patients, 1) * 1000
    state = "each a cycle behind" if args.settled else "all in their first cycle"
    out(
        f"Worklists on {args.database}, {args.patients:,} enrolled patients ({state}), "
        "28 preparation days:"
    )
    out(
        f"  {listed_patients - visits:,} patient pickups and {visits:,} sync visits, "
        f"{fills:,} fills listed in {took:.2f} s"
    )
    out(f"  {per_patient:.2f} ms a patient; the busiest day took {slowest:.2f} s")


if __name__ == "__main__":
    main()
