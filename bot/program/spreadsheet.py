"""Cells of the CSV files staff open in a spreadsheet (worklist, reports, audit trail).

A cell that starts like a formula ("=HYPERLINK(...)", "+1...", "@SUM") would run as one when
the file is opened (CSV injection, OWASP); text from the pharmacy's export or from a patient
is kept as text by a leading apostrophe, which spreadsheets show as nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_row(values: Iterable[object]) -> list[object]:
    """Every text cell made safe; numbers stay numbers."""
    return [safe_cell(v) if isinstance(v, str) else v for v in values]
