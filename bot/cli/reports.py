"""`medsync report`: the program report for one pharmacy and a period, as plain-text tables
or CSV (docs/REPORTS.md defines every figure)."""

from __future__ import annotations

import click

from bot.cli.common import Fail, pharmacy_named, sessions_for
from bot.clock import SystemClock, local_date
from bot.settings import get_settings


@click.command("report")
@click.option("--from", "first", default=None, metavar="YYYY-MM-DD", help="First day counted.")
@click.option(
    "--to", "last", default=None, metavar="YYYY-MM-DD", help="Last day counted (default: today)."
)
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output instead of tables.")
@click.option(
    "--section",
    "chosen",
    multiple=True,
    metavar="NAME",
    help="Only this section (funnel, check_ins, messaging, adherence) or table "
    "(e.g. check_in_weeks); repeat for several. With --csv and one table: a plain CSV.",
)
def report(
    first: str | None, last: str | None, which: str | None, as_csv: bool, chosen: tuple[str, ...]
) -> None:
    """Enrollment funnel, check-ins, messaging and adherence for a period (default: the 90
    days that end today, in the pharmacy's time zone)."""
    from bot.reports.errors import ReportError
    from bot.reports.output import report_csv, report_text, table_csv
    from bot.reports.period import parse_day, period_for
    from bot.reports.report import SECTIONS, TABLES, build_report
    from store.db import transaction

    wanted_tables = [name for name in chosen if name in TABLES]
    unknown = [name for name in chosen if name not in TABLES and name not in SECTIONS]
    if unknown:
        raise Fail(
            f"There is no section or table called {unknown[0]!r}. Sections: "
            f"{', '.join(SECTIONS)}; tables: {', '.join(TABLES)}."
        )
    sections = {TABLES.get(name, name) for name in chosen} or set(SECTIONS)
    settings = get_settings()
    try:
        with transaction(sessions_for(settings)) as session:
            pharmacy = pharmacy_named(session, which)
            period = period_for(
                parse_day(first, "--from"),
                parse_day(last, "--to"),
                local_date(SystemClock(), pharmacy.timezone),
                pharmacy.timezone,
            )
            built = build_report(session, pharmacy, period, sections)
    except ReportError as problem:
        raise Fail(str(problem)) from None
    tables = [
        t for t in built.tables() if not chosen or t.key in wanted_tables or t.section in chosen
    ]
    if as_csv:
        only_one = len(tables) == 1 and len(chosen) == 1 and chosen[0] in TABLES
        click.echo(table_csv(tables[0]) if only_one else report_csv(tables), nl=False)
        return
    click.echo(report_text(built, tables), nl=False)
