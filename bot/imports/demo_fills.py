"""The demo's dispensing history (bot/imports/demo_fills.csv), and how it was made.

A year of fills for each of the sample export's maintenance prescriptions, walking back
from its last fill: each earlier fill is one supply earlier, plus a few late days taken in
turn from the prescription's pattern, so the demo has adherent and non-adherent patients.

    .venv/bin/python -m bot.imports.demo_fills > bot/imports/demo_fills.csv
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

FILLS = Path(__file__).with_name("demo_fills.csv")
EXPORT = Path(__file__).with_name("demo_export.csv")
HEADER = ["patient_id", "rx_number", "fill_date", "days_supply", "quantity"]
HISTORY_DAYS = 365

# Days late before each refill, used in turn (the most recent refill first).
PATTERNS: dict[str, tuple[int, ...]] = {
    "on_time": (0, 1, 0, 2),
    "fair": (3, 5, 2, 6),
    "late": (10, 14, 8, 12),
    "very_late": (20, 25, 15),
}
LATE: dict[str, str] = {
    "RX700102": "late",  # Margaret's statin
    "RX700103": "fair",
    "RX700201": "fair",
    "RX700302": "very_late",  # Lan's beta blocker
    "RX700303": "fair",
    "RX700401": "late",  # Wei's statin
    "RX700403": "fair",
    "RX700503": "fair",
    "RX700601": "fair",
    "RX700602": "late",
    "RX701001": "late",  # Maria's diabetes medicines
    "RX701002": "very_late",
    "RX701102": "fair",
    "RX701202": "late",
}


def history(
    last_fill: dt.date, days_supply: int, pattern: tuple[int, ...], since: dt.date
) -> list[dt.date]:
    """Fill dates from `since` up to `last_fill`, oldest first."""
    dates = [last_fill]
    n = 0
    while True:
        earlier = dates[-1] - dt.timedelta(days=days_supply + pattern[n % len(pattern)])
        if earlier < since:
            return dates[::-1]
        dates.append(earlier)
        n += 1


def rows() -> Iterator[list[str]]:
    """The demo fills, from the sample export's good maintenance prescriptions."""
    with EXPORT.open(encoding="utf-8") as f:
        for rx in csv.DictReader(f):
            try:
                last_fill = dt.date.fromisoformat(rx["last_fill_date"])
            except ValueError:
                continue  # the sample's deliberately bad row is not imported
            if rx["maintenance"] != "Y" or rx["prn"] == "Y" or rx["dea_schedule"]:
                continue
            if rx["patient_id"] == "P1009":
                continue  # the sample's patient without a valid phone is not imported
            days = int(rx["days_supply"])
            pattern = PATTERNS[LATE.get(rx["rx_number"], "on_time")]
            since = last_fill - dt.timedelta(days=HISTORY_DAYS)
            for date in history(last_fill, days, pattern, since):
                yield [
                    rx["patient_id"],
                    rx["rx_number"],
                    date.isoformat(),
                    str(days),
                    rx["quantity"],
                ]


def write(out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows())


if __name__ == "__main__":
    write(sys.stdout)
