"""The program report page (/inbox/reports): the funnel, check-ins, messaging and adherence
for one of the signed-in person's pharmacies and a period, each chart with its table and a
CSV link. Viewing it and downloading a CSV are in the audit trail; the charts are SVG images
drawn on the server (bot/reports/charts.py), so the page needs no script."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox.auth import CurrentActor
from bot.inbox.staff import Actor
from bot.inbox.web import SECURITY_HEADERS, now_of, page, sessions_of, today_at
from bot.reports.charts import DRAW, chart_svg
from bot.reports.errors import ReportError
from bot.reports.output import table_csv
from bot.reports.period import Period, parse_day, period_for
from bot.reports.report import CHARTS, SECTIONS, TABLES, ProgramReport, build_report
from store.audit import record
from store.db import transaction
from store.models import Pharmacy

router = APIRouter(include_in_schema=False)

# The SVG is an image: pygal's inline styles may apply, nothing may run or load.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


class NotYours(ReportError):
    """A pharmacy the signed-in person does not belong to (or that does not exist)."""


@dataclass(frozen=True)
class Asked:
    pharmacy: Pharmacy
    pharmacies: list[Pharmacy]
    period: Period

    @property
    def query(self) -> str:
        return urlencode(
            {
                "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(),
                "pharmacy": str(self.pharmacy.id),
            }
        )


def _pharmacies(session: Session, actor: Actor) -> list[Pharmacy]:
    query = select(Pharmacy).order_by(Pharmacy.name, Pharmacy.id)
    if actor.pharmacy_ids is not None:
        query = query.where(Pharmacy.id.in_(actor.pharmacy_ids))
    return list(session.scalars(query))


def _asked(
    request: Request,
    session: Session,
    actor: Actor,
    first: str | None,
    last: str | None,
    pharmacy: str | None,
) -> Asked:
    mine = _pharmacies(session, actor)
    if not mine:
        raise NotYours("You do not belong to a pharmacy yet: ask an admin to add you to one.")
    chosen = mine[0]
    if pharmacy:
        wanted = pharmacy.strip()
        found = next((p for p in mine if str(p.id) == wanted), None)
        if found is None:
            raise NotYours("You do not belong to that pharmacy.")
        chosen = found
    period = period_for(
        parse_day(first, "start"),
        parse_day(last, "end"),
        today_at(request, chosen.timezone),
        chosen.timezone,
    )
    return Asked(chosen, mine, period)


def _problem_page(request: Request, actor: Actor, problem: ReportError) -> Response:
    return page(
        request,
        "message.html",
        {
            "title": "Program report",
            "staff": actor,
            "heading": "Program report",
            "text": str(problem),
        },
        status_code=403 if isinstance(problem, NotYours) else 400,
    )


def _plain(text: str, status_code: int) -> Response:
    response = Response(text + "\n", status_code=status_code, media_type="text/plain")
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


@router.get("/inbox/reports")
def report_page(
    request: Request,
    actor: CurrentActor,
    pharmacy: str | None = None,
) -> Response:
    # "from" is a Python keyword: the dates are read from the query string directly.
    first, last = request.query_params.get("from"), request.query_params.get("to")
    try:
        with transaction(sessions_of(request)) as session:
            asked = _asked(request, session, actor, first, last, pharmacy)
            report = build_report(session, asked.pharmacy, asked.period)
            record(
                session,
                actor.audit_name,
                "view_report",
                f"pharmacy:{asked.pharmacy.id}",
                now_of(request),
                after={"from": asked.period.first.isoformat(), "to": asked.period.last.isoformat()},
            )
    except ReportError as problem:
        return _problem_page(request, actor, problem)
    return page(request, "reports.html", _context(actor, asked, report))


def _context(actor: Actor, asked: Asked, report: ProgramReport) -> dict[str, object]:
    tables = report.tables()
    return {
        "title": "Program report",
        "staff": actor,
        "report": report,
        "asked": asked,
        "sections": [
            {"key": key, "title": title, "tables": [t for t in tables if t.section == key]}
            for key, title in SECTIONS.items()
        ],
        "query": asked.query,
    }


@router.get("/inbox/reports/{key}.csv")
def report_csv(
    request: Request, key: str, actor: CurrentActor, pharmacy: str | None = None
) -> Response:
    if key not in TABLES:
        return _plain(f"There is no report table called {key[:40]!r}.", 404)
    first, last = request.query_params.get("from"), request.query_params.get("to")
    try:
        with transaction(sessions_of(request)) as session:
            asked = _asked(request, session, actor, first, last, pharmacy)
            report = build_report(session, asked.pharmacy, asked.period, [TABLES[key]])
            text = table_csv(report.table(key))
            record(
                session,
                actor.audit_name,
                "export_report",
                f"pharmacy:{asked.pharmacy.id}",
                now_of(request),
                after={
                    "table": key,
                    "from": asked.period.first.isoformat(),
                    "to": asked.period.last.isoformat(),
                },
            )
    except ReportError as problem:
        return _plain(str(problem), 403 if isinstance(problem, NotYours) else 400)
    name = f"medsync-{key}-{asked.period.first.isoformat()}-{asked.period.last.isoformat()}.csv"
    response = _plain(text.rstrip("\n"), 200)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/inbox/reports/charts/{key}.svg")
def report_chart(
    request: Request, key: str, actor: CurrentActor, pharmacy: str | None = None
) -> Response:
    if key not in DRAW:
        return _plain(f"There is no report chart called {key[:40]!r}.", 404)
    first, last = request.query_params.get("from"), request.query_params.get("to")
    try:
        with transaction(sessions_of(request)) as session:
            asked = _asked(request, session, actor, first, last, pharmacy)
            report = build_report(session, asked.pharmacy, asked.period, [CHARTS[key]])
    except ReportError as problem:
        return _plain(str(problem), 403 if isinstance(problem, NotYours) else 400)
    response = Response(chart_svg(report, key), media_type="image/svg+xml")
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
