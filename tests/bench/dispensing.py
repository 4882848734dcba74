"""Importing dispensing events (issue 16): 100,000 by default, time and peak memory.

    .venv/bin/python -m tests.bench.dispensing [sqlite|postgresql] [--events 100000] [--fhir N]

Generates an export (tests/bench/generate.py, 3 prescriptions a patient) and a year of fills
for each prescription (bot/imports/demo_fills.history), each fill two events with ids: dispensed
on the fill date and picked_up two days later. Imports the export, then the events as a fills
file three times: the first import, the same file again (every event unchanged), and the same
fills reversed (one new event per fill). Then `--fhir` events (default 20,000; 0 skips it) as
a FHIR Bundle of MedicationDispense resources, each validated by fhir.resources. Prints
figures (wall time, and the CPU time of this process: on a shared machine the wall time
mostly measures the others); asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.imports.demo_fills import history
from bot.imports.dispensing import record_events
from bot.imports.fhir_dispense import events_from_bundle
from bot.imports.fills import import_fills
from bot.imports.pharmacy_export import import_export
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Pharmacy
from tests.bench import generate
from tests.bench.common import PHARMACY_NUMBER, fresh_database
from tests.bench.importing import NOW, RX_PER_PATIENT, peak_mb

FILLS_PER_RX = 9  # about a year
HEADER = ["patient_id", "rx_number", "fill_date", "days_supply", "quantity", "event", "event_id",
          "event_date"]  # fmt: skip
TODAY = NOW.date()  # the pharmacy's (New York) date at NOW, the bench's 15:00 UTC


def fills_of(export: Path) -> list[tuple[str, str, dt.date, int]]:
    found = []
    with export.open(encoding="utf-8") as f:
        for n, rx in enumerate(csv.DictReader(f)):
            days = int(rx["days_supply"])
            last = dt.date.fromisoformat(rx["last_fill_date"])
            late = (0, 1, 5, 2) if n % 3 else (9, 14, 6)
            for date in history(last, days, late, last - dt.timedelta(days=365)):
                found.append((rx["patient_id"], rx["rx_number"], date, days))
    return found


def write_events(fills: list[tuple[str, str, dt.date, int]], out: Path, reversed_: bool) -> int:
    written = 0
    with out.open("w", encoding="utf-8") as o:
        writer = csv.writer(o, lineterminator="\n")
        writer.writerow(HEADER)
        for patient, rx, date, days in fills:
            key = f"{patient}-{rx}-{date}"
            if reversed_:
                writer.writerow([patient, rx, date, "", "", "reversed", f"{key}-r", ""])
                written += 1
                continue
            pickup = min(date + dt.timedelta(days=2), TODAY)  # never after today: refused
            writer.writerow([patient, rx, date, days, days, "dispensed", f"{key}-d", ""])
            writer.writerow([patient, rx, date, "", "", "picked_up", f"{key}-p", pickup])
            written += 2
    return written


def bundle(fills: list[tuple[str, str, dt.date, int]]) -> str:
    entries: list[dict[str, Any]] = []
    for patient, rx, date, days in fills:
        entries.append(
            {
                "resource": {
                    "resourceType": "MedicationDispense",
                    "identifier": [{"value": f"MD-{patient}-{rx}-{date}"}],
                    "status": "completed",
                    "medicationCodeableConcept": {"text": "as dispensed"},
                    "subject": {"identifier": {"value": patient}},
                    "authorizingPrescription": [{"identifier": {"value": rx}}],
                    "whenPrepared": date.isoformat(),
                    "whenHandedOver": min(date + dt.timedelta(days=2), TODAY).isoformat(),
                    "daysSupply": {"value": days},
                    "quantity": {"value": days},
                }
            }
        )
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--fhir", type=int, default=20_000)
    args = parser.parse_args(argv)
    patients = max(1, -(-args.events // (RX_PER_PATIENT * FILLS_PER_RX * 2)))
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        export, first, reversal = (Path(folder) / n for n in ("e.csv", "f.csv", "r.csv"))
        with export.open("w", encoding="utf-8") as file:
            generate.write(file, patients, RX_PER_PATIENT)
        fills = fills_of(export)
        count = write_events(fills, first, reversed_=False)
        write_events(fills, reversal, reversed_=True)
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
        out(f"Import of {count} dispensing events ({patients} patients) on {args.database}:")
        for label, path in [
            ("first import", first),
            ("unchanged re-import", first),
            ("every fill reversed", reversal),
        ]:
            started, cpu = time.perf_counter(), time.process_time()
            with transaction(sessions) as session, path.open(encoding="utf-8") as rows:
                report = import_fills(session, session.query(Pharmacy).one(), rows, NOW)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            counts = " ".join(report.summary().splitlines()[:2])
            out(
                f"  {label:22} {seconds:6.1f} s ({cpu:5.1f} s CPU here)   "
                f"peak {peak_mb():6.0f} MB   {counts}"
            )
        if args.fhir:
            chosen = fills[: args.fhir]
            text = bundle(chosen)
            started, cpu = time.perf_counter(), time.process_time()
            events, rejected = events_from_bundle(text)
            read = time.perf_counter() - started
            with transaction(sessions) as session:
                result = record_events(
                    session, session.query(Pharmacy).one(), events, NOW, "fhir", rejected=rejected
                )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            out(
                f"  {'FHIR bundle':22} {seconds:6.1f} s ({cpu:5.1f} s CPU here)   "
                f"peak {peak_mb():6.0f} MB   "
                f"{len(chosen)} MedicationDispense ({read:.1f} s reading them): "
                f"{result.summary().splitlines()[0]}"
            )


if __name__ == "__main__":
    main()
