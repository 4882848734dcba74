"""The import's report: what an import of the pharmacy's export did, and the problems it found.

`ImportReport` counts the patients and prescriptions created and updated and lists every rejected
row (`RowError`, by physical line number); `ImportFileError` is a problem with the file as a whole.
`rejection_lines` and `count` word the rejected rows and counts for staff; the fills import
(bot/imports/fills.py) and dispensing (bot/imports/dispensing.py) share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing columns, not CSV text ...).

    The message is a plain sentence for staff. Nothing has been written when it is raised.
    """


@dataclass(frozen=True)
class RowError:
    """A rejected row: `line` is its physical line in the file (the header is line 1)."""

    line: int
    patient_id: str
    rx_number: str
    reason: str


@dataclass
class ImportReport:
    rows_ok: int = 0
    patients_created: int = 0
    patients_updated: int = 0
    prescriptions_created: int = 0
    prescriptions_updated: int = 0
    languages_kept: int = 0  # patients whose own choice of language the export did not change
    errors: list[RowError] = field(default_factory=list)
    # Issue 16: status changes from the status column, and prescriptions --full made inactive.
    status_changes: list[tuple[tuple[str, str], str, str]] = field(default_factory=list)
    made_inactive: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        """Plain sentences for the command line, one line per rejected row."""
        lines = [
            f"Imported {_count(self.rows_ok, 'row')}: "
            f"{_count(self.patients_created, 'patient')} created, "
            f"{_count(self.patients_updated, 'patient')} updated, "
            f"{_count(self.prescriptions_created, 'prescription')} created, "
            f"{_count(self.prescriptions_updated, 'prescription')} updated."
        ]
        if self.languages_kept:
            lines.append(
                f"{_count(self.languages_kept, 'patient')} kept the language they chose by text "
                "or on a call, not the export's (both are on the patient's page)."
            )
        lines.extend(self._status_lines())
        if not self.errors:
            lines.append("No rows rejected.")
            return "\n".join(lines)
        lines.extend(rejection_lines(self.errors))
        return "\n".join(lines)

    def _status_lines(self) -> list[str]:
        lines = []
        if self.status_changes:
            lines.append(f"{_count(len(self.status_changes), 'prescription')} changed status:")
            for (patient, rx), old, new in self.status_changes[:20]:
                lines.append(f"  {patient}, {rx}: {old} -> {new}")
            if len(self.status_changes) > 20:
                lines.append(f"  and {len(self.status_changes) - 20} more (see the audit trail)")
        if self.made_inactive:
            lines.append(
                f"{_count(len(self.made_inactive), 'prescription')} not in this full export "
                "marked inactive (kept, never deleted; out of the sync plan):"
            )
            for patient, rx in self.made_inactive[:20]:
                lines.append(f"  {patient}, {rx}")
            if len(self.made_inactive) > 20:
                lines.append(f"  and {len(self.made_inactive) - 20} more (see the audit trail)")
        return lines


def rejection_lines(errors: Sequence[RowError]) -> list[str]:
    """ "3 rows rejected:" then one plain line per row (the export's and the fills file's)."""
    lines = [f"{_count(len(errors), 'row')} rejected:"]
    for error in errors:
        who = ", ".join(part for part in (error.patient_id, error.rx_number) if part)
        where = f"line {error.line} ({who})" if who else f"line {error.line}"
        lines.append(f"  {where}: {error.reason}")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


count = _count
