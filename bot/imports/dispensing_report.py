"""The dispensing report: what one batch of dispensing events did, worded for staff.

`DispensingReport` holds the outcome of every event and counts the fills created, updated and
unchanged and the pickup cycles the events changed; `rejection_lines` words the rejected events.
Filled in by bot/imports/dispensing.py and bot/imports/dispensing_rows.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.imports.dispensing_events import Outcome, Status
from bot.imports.import_report import count


@dataclass
class DispensingReport:
    outcomes: list[Outcome] = field(default_factory=list)
    fills_created: int = 0
    fills_updated: int = 0
    fills_unchanged: int = 0
    cycles_changed: int = 0

    def counted(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def summary(self) -> str:
        lines = [
            f"Recorded {count(self.counted('recorded'), 'dispensing event')}, "
            f"{self.counted('unchanged')} unchanged: {count(self.fills_created, 'fill')} created, "
            f"{self.fills_updated} updated."
        ]
        if self.cycles_changed:
            lines.append(f"{count(self.cycles_changed, 'pickup cycle')} changed by these events.")
        lines.extend(rejection_lines(self.rejected))
        return "\n".join(lines)


def rejection_lines(rejected: Sequence[Outcome]) -> list[str]:
    if not rejected:
        return ["No events rejected."]
    lines = [f"{count(len(rejected), 'event')} rejected:"]
    for o in rejected:
        who = ", ".join(part for part in (o.patient_id, o.rx_number, o.event_id) if part)
        lines.append(f"  {o.ref} ({who}): {o.reason}" if who else f"  {o.ref}: {o.reason}")
    return lines
