"""One pharmacy's program report for a period: the figures of each section, and the tables
that the CLI, the CSV files and the inbox page all print (so the three never disagree)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.reports.adherence_section import AdherenceFigures, adherence
from bot.reports.check_ins import CheckInFigures, check_ins
from bot.reports.errors import ReportError
from bot.reports.funnel import Funnel, funnel
from bot.reports.messaging import MessageCounts, Messaging, messaging
from bot.reports.period import Period
from store.models import Pharmacy

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | count | percent (a share 0-1, printed x100) | hours


@dataclass(frozen=True)
class Table:
    key: str  # the CSV file's name and `--section`
    section: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: str | None = None  # the chart drawn from this table (bot/reports/charts.py)
    note: str = ""

    def formatted(self, blank: str = "") -> list[list[str]]:
        """Each cell as printed: counts as they are, shares in percent with one decimal,
        hours with one decimal; a figure with nothing to compute from is `blank`."""
        return [
            [
                _format(cell, column.kind, blank)
                for cell, column in zip(row, self.columns, strict=True)
            ]
            for row in self.rows
        ]


def _format(cell: Cell, kind: str, blank: str) -> str:
    if cell is None:
        return blank
    if kind == "percent" and isinstance(cell, int | float):
        return f"{cell * 100:.1f}"
    if kind == "hours" and isinstance(cell, int | float):
        return f"{cell:.1f}"
    return str(cell)


SECTIONS: dict[str, str] = {
    "funnel": "Enrollment funnel",
    "check_ins": "Check-ins",
    "messaging": "Messaging",
    "adherence": "Adherence",
}


@dataclass
class ProgramReport:
    pharmacy: str
    period: Period
    funnel: Funnel | None = None
    check_ins: CheckInFigures | None = None
    messaging: Messaging | None = None
    adherence: AdherenceFigures | None = None
    sections: tuple[str, ...] = field(default=tuple(SECTIONS))

    def tables(self) -> list[Table]:
        found: list[Table] = []
        if self.funnel is not None:
            found += funnel_tables(self.funnel)
        if self.check_ins is not None:
            found += check_in_tables(self.check_ins)
        if self.messaging is not None:
            found += messaging_tables(self.messaging)
        if self.adherence is not None:
            found += adherence_tables(self.adherence)
        return found

    def table(self, key: str) -> Table:
        for table in self.tables():
            if table.key == key:
                return table
        raise ReportError(f"There is no table called {key!r}; the tables are: {', '.join(TABLES)}.")


BUILDERS: dict[str, Callable[[Session, Pharmacy, Period], object]] = {
    "funnel": lambda s, p, period: funnel(s, p.id, period),
    "check_ins": lambda s, p, period: check_ins(s, p, period),
    "messaging": lambda s, p, period: messaging(s, p.id, period),
    "adherence": lambda s, p, period: adherence(s, p.id, period),
}


def build_report(
    session: Session, pharmacy: Pharmacy, period: Period, sections: Iterable[str] = SECTIONS
) -> ProgramReport:
    """The figures of the sections asked for (all by default); reads, never writes."""
    chosen = tuple(s for s in SECTIONS if s in set(sections))
    report = ProgramReport(pharmacy=pharmacy.name, period=period, sections=chosen)
    for name in chosen:
        setattr(report, name, BUILDERS[name](session, pharmacy, period))
    return report


# ---------------------------------------------------------------------- the tables


def funnel_tables(figures: Funnel) -> list[Table]:
    return [
        Table(
            key="funnel",
            section="funnel",
            title="Enrollment funnel",
            columns=(
                Column("step"),
                Column("patients", "count"),
                Column("dropped", "count"),
                Column("% of previous step", "percent"),
            ),
            rows=tuple(
                (s.name, s.patients, s.dropped if n else None, s.share_of_previous)
                for n, s in enumerate(figures.steps)
            ),
            chart="funnel",
            note=f"{figures.declined} patients said no to med sync in the period.",
        )
    ]


def check_in_tables(c: CheckInFigures) -> list[Table]:
    summary: tuple[tuple[Cell, ...], ...] = (
        ("opened", c.opened, "count"),
        ("answered", c.answered, "count"),
        ("response rate (%)", c.response_rate, "percent"),
        ("no answer", c.no_answer, "count"),
        ("still open", c.still_open, "count"),
        ("median hours to answer", c.median_hours_to_answer, "hours"),
        ("flagged: fill held", c.flagged, "count"),
        ("flagged (% of answered)", c.flagged_share, "percent"),
        ("released by a pharmacist", c.released, "count"),
        ("released (% of held)", c.released_share, "percent"),
        ("kept on hold by a pharmacist", c.kept_on_hold, "count"),
        ("kept on hold (% of held)", c.kept_on_hold_share, "percent"),
        ("waiting for a decision", c.awaiting_decision, "count"),
        ("median hours to decision", c.median_hours_to_decision, "hours"),
    )
    return [
        Table(
            key="check_in_summary",
            section="check_ins",
            title="Check-ins opened in the period",
            columns=(Column("figure"), Column("value")),
            rows=tuple(
                (name, None if value is None else _format(value, str(kind), ""))
                for name, value, kind in summary
            ),
        ),
        Table(
            key="check_in_reasons",
            section="check_ins",
            title="Why check-ins were flagged",
            columns=(
                Column("reason"),
                Column("flag"),
                Column("check-ins", "count"),
                Column("% of flagged", "percent"),
            ),
            rows=tuple((r.label, r.flag, r.check_ins, r.share_of_flagged) for r in c.reasons),
            note="A check-in can be flagged for several reasons.",
        ),
        Table(
            key="check_in_weeks",
            section="check_ins",
            title="Check-in response rate by week",
            columns=(
                Column("week starting"),
                Column("opened", "count"),
                Column("answered", "count"),
                Column("response rate (%)", "percent"),
            ),
            rows=tuple((w.week.isoformat(), w.opened, w.answered, w.rate) for w in c.weeks),
            chart="check_in_weeks",
        ),
    ]


MESSAGE_COLUMNS = (
    Column("texts", "count"),
    Column("sent", "count"),
    Column("delivered", "count"),
    Column("delivered (% of sent)", "percent"),
    Column("failed", "count"),
    Column("not sent", "count"),
    Column("waiting", "count"),
    Column("opted out", "count"),
)


def _message_row(counts: MessageCounts) -> tuple[Cell, ...]:
    return (
        counts.group,
        counts.texts,
        counts.sent,
        counts.delivered,
        counts.delivered_share,
        counts.failed,
        counts.not_sent,
        counts.waiting,
        counts.opted_out,
    )


def messaging_tables(m: Messaging) -> list[Table]:
    return [
        Table(
            key="messages_by_language",
            section="messaging",
            title="Texts sent, per language",
            columns=(Column("language"), *MESSAGE_COLUMNS),
            rows=tuple(_message_row(c) for c in (*m.by_language, m.total)),
        ),
        Table(
            key="messages_by_campaign",
            section="messaging",
            title="Texts sent, per campaign",
            columns=(Column("campaign"), *MESSAGE_COLUMNS),
            rows=tuple(_message_row(c) for c in (*m.by_campaign, m.total)),
            note="An opt-out counts against a campaign when it came within 30 days after that "
            "campaign's invitation.",
        ),
    ]


def adherence_tables(a: AdherenceFigures) -> list[Table]:
    return [
        Table(
            key="adherence_classes",
            section="adherence",
            title="Adherent patients (PDC 80% or more) before and after med sync",
            columns=(
                Column("therapy class"),
                Column("measured before", "count"),
                Column("adherent before (%)", "percent"),
                Column("measured after", "count"),
                Column("adherent after (%)", "percent"),
            ),
            rows=tuple(
                (c.label, c.measured_before, c.adherent_before, c.measured_after, c.adherent_after)
                for c in a.classes
            ),
            note=f"{a.patients} patients had a fill of a measured therapy class in the period.",
        ),
        Table(
            key="adherence_distribution",
            section="adherence",
            title="Proportion of Days Covered, before and after med sync",
            columns=(Column("PDC (%)"), Column("before", "count"), Column("after", "count")),
            rows=a.distribution,
            chart="adherence_distribution",
        ),
    ]


TABLES: dict[str, str] = {
    "funnel": "funnel",
    "check_in_summary": "check_ins",
    "check_in_reasons": "check_ins",
    "check_in_weeks": "check_ins",
    "messages_by_language": "messaging",
    "messages_by_campaign": "messaging",
    "adherence_classes": "adherence",
    "adherence_distribution": "adherence",
}
CHARTS: dict[str, str] = {
    "funnel": "funnel",
    "check_in_weeks": "check_ins",
    "adherence_distribution": "adherence",
}
