"""The prep-day worklist (bot/program/worklist.py) as CSV, for the inbox's download and
`medsync worklist --csv`, and as text, for `medsync worklist`.
"""

from __future__ import annotations

import csv
import io

from bot.program.spreadsheet import safe_row
from bot.program.worklist import Worklist

CSV_COLUMNS = (
    "pickup_date",
    "anchor_date",
    "patient_id",
    "patient",
    "rx_number",
    "drug",
    "fill",
    "days",
    "units",
    "override",
    "check_in",
    "renewal_pending",
    "delivery",
    "services",
    "ticked_by",
    "trip",
)


def as_csv(listed: Worklist) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for day in listed.days:
        for p in day.patients:
            for f in p.fills:
                writer.writerow(
                    safe_row(
                        [
                            day.date.isoformat(),
                            p.anchor_date.isoformat(),
                            p.external_id,
                            p.name,
                            f.rx_number,
                            f.drug_name,
                            f.kind,
                            f.days,
                            "" if f.units is None else f.units,
                            "yes" if f.needs_override else "",
                            p.check_in,
                            "yes" if f.renewal_pending else "",
                            "delivery" if p.delivery else "pickup",
                            "; ".join(p.services),
                            f.tick.actor if f.tick else "",
                            p.trip,
                        ]
                    )
                )
    return out.getvalue()


def lines(listed: Worklist) -> list[str]:
    """The worklist as text, for `medsync worklist`."""
    head = f"Prep-day worklist at {listed.pharmacy} for {listed.prepare_on:%a %b %d, %Y}"
    shown = [head + (f" (the pharmacy is closed: {listed.closed})" if listed.closed else "")]
    if not listed.days:
        shown.append("Nothing to prepare: no pickup or sync visit is prepared this day.")
    for day in listed.days:
        count = sum(len(p.fills) for p in day.patients)
        shown.append(f"Pickup {day.date:%a %b %d, %Y}: {len(day.patients)} patients, {count} fills")
        for p in day.patients:
            moved = f" (anchor {p.anchor_date:%b %d}, closed)" if p.moved_because else ""
            how = "delivery" if p.delivery else "pickup"
            if p.synced_pickup is not None:
                shown.append(
                    f"  {p.name} ({p.external_id}): sync visit before the first synced pickup "
                    f"{p.synced_pickup:%a %b %d}, no check-in; {how}"
                )
            else:
                shown.append(f"  {p.name} ({p.external_id}){moved}: check-in {p.check_in}; {how}")
            if p.services:
                shown.append(f"    Services accepted: {', '.join(p.services)}")
            if p.problem:
                shown.append(f"    {p.problem}")
            for f in p.fills:
                units = "" if f.units is None else f", {f.units} units"
                notes = [
                    *(["needs a refill-too-soon override"] if f.needs_override else []),
                    *(["renewal pending"] if f.renewal_pending else []),
                    *([f"ticked by {f.tick.actor}"] if f.tick else []),
                ]
                tail = f" [{'; '.join(notes)}]" if notes else ""
                shown.append(
                    f"    [{'x' if f.tick else ' '}] {f.rx_number} {f.drug_name}: {f.kind}, "
                    f"{f.days} days{units}{tail}"
                )
    return shown
