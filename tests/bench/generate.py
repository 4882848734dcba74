"""Synthetic pharmacy exports in the import format (docs/IMPORT.md), for benchmarks.

    .venv/bin/python -m tests.bench.generate PATIENTS [--rx-per-patient 3] [--seed 1] > export.csv

Deterministic for a given seed. Phones are fictional 555 numbers (+1 212 555 0100..9999, then
further area codes), so every patient has a number of their own and a valid US format.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from collections.abc import Iterator
from typing import TextIO

HEADER = [
    "patient_id", "first_name", "last_name", "birth_date", "phone", "phone_type", "language",
    "rx_number", "drug_name", "daily_quantity", "days_supply", "quantity", "last_fill_date",
    "refills_remaining", "written_date", "dea_schedule", "prn", "maintenance", "package", "copay",
]  # fmt: skip
FIRST = ["Margaret", "Robert", "Linda", "James", "Maria", "Wei", "Thi", "Ahmed", "Grace", "Jose"]
LAST = ["Okafor", "Smith", "Garcia", "Nguyen", "Chen", "Johnson", "Lopez", "Patel", "Kim", "Brown"]
DRUGS = [
    ("Lisinopril 10 mg tablet", "1"),
    ("Atorvastatin 40 mg tablet", "1"),
    ("Metformin 500 mg tablet", "2"),
    ("Amlodipine 5 mg tablet", "1"),
    ("Levothyroxine 50 mcg tablet", "1"),
    ("Losartan 50 mg tablet", "1"),
]
# 9,800 numbers per area code and exchange, starting at the fictional-use 555 exchange.
AREA_CODES = ["212", "646", "718", "917", "347", "929", "332", "516", "631", "914"]
TODAY = dt.date(2026, 11, 29)


def phone_for(n: int) -> str:
    """The n-th patient's own number: (212) 555-0200 upward, then other area codes and
    exchanges, unique for any n a benchmark uses."""
    block = n // 9800
    code = AREA_CODES[block % len(AREA_CODES)]
    exchange = 555 + block // len(AREA_CODES)
    return f"({code}) {exchange}-{200 + n % 9800:04d}"


def rows(patients: int, rx_per_patient: int = 3, seed: int = 1) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for n in range(patients):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        patient = [
            f"P{n + 1:07d}",
            rng.choice(FIRST),
            rng.choice(LAST),
            birth.isoformat(),
            phone_for(n),
            "mobile",
            "es" if rng.random() < 0.2 else "en",
        ]
        for r in range(rx_per_patient):
            drug, daily = DRUGS[(n + r) % len(DRUGS)]
            days = 30 if rng.random() < 0.8 else 90
            last_fill = TODAY - dt.timedelta(days=rng.randrange(1, days))
            yield [
                *patient,
                f"RX{n + 1:07d}{r:02d}",
                drug,
                daily,
                str(days),
                str(days * int(daily)),
                last_fill.isoformat(),
                str(rng.randrange(0, 6)),
                (last_fill - dt.timedelta(days=rng.randrange(30, 300))).isoformat(),
                "",
                "N",
                "Y",
                "",
                f"{rng.choice([0, 5, 10, 15]):.2f}",
            ]


def write(out: TextIO, patients: int, rx_per_patient: int = 3, seed: int = 1) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows(patients, rx_per_patient, seed))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patients", type=int)
    parser.add_argument("--rx-per-patient", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write(sys.stdout, args.patients, args.rx_per_patient, args.seed)


if __name__ == "__main__":
    main()
