"""The report as plain-text tables (the CLI) and as CSV (the CLI and the inbox's links)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from bot.program.spreadsheet import safe_cell
from bot.reports.report import SECTIONS, ProgramReport, Table


def table_csv(table: Table) -> str:
    out = io.StringIO()
    _write(csv.writer(out, lineterminator="\n"), table)
    return out.getvalue()


def _write(writer: Any, table: Table) -> None:
    writer.writerow([c.name for c in table.columns])
    for row, cells in zip(table.rows, table.formatted(), strict=True):
        writer.writerow(
            [
                safe_cell(text) if isinstance(raw, str) else text
                for raw, text in zip(row, cells, strict=True)
            ]
        )


def report_csv(tables: Sequence[Table]) -> str:
    """Several tables in one CSV: each block is a line with the table's name, its header,
    its rows, then an empty line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for table in tables:
        writer.writerow([table.key])
        _write(writer, table)
        writer.writerow([])
    return out.getvalue()


def report_text(report: ProgramReport, tables: Sequence[Table], width: int = 120) -> str:
    console = Console(
        file=io.StringIO(), width=width, color_system=None, highlight=False, emoji=False
    )
    console.print(
        f"Program report: {report.pharmacy}, {report.period.describe()}",
        markup=False,
        style="bold",
    )
    section = ""
    for table in tables:
        if table.section != section:
            section = table.section
            console.print()
            console.print(SECTIONS[section].upper(), markup=False)
        shown = RichTable(
            title=Text(table.title),
            box=box.SIMPLE_HEAD,
            title_justify="left",
            min_width=len(table.title) + 2,
        )
        for column in table.columns:
            shown.add_column(column.name, justify="left" if column.kind == "text" else "right")
        for cells in table.formatted(blank="-"):
            shown.add_row(*(Text(cell) for cell in cells))
        console.print(shown)
        if table.note:
            console.print(table.note, markup=False)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()
