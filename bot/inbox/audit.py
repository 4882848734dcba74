"""The audit trail, for admins: who did what to which record, when, before and after, and
what was refused. Filters by who, patient, kind, outcome and pharmacy; the same rows as CSV
(/audit.csv). Reading the trail and exporting it are audited too."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox.auth import CurrentActor
from bot.inbox.policy import Permission, refusal
from bot.inbox.staff import Actor
from bot.inbox.web import SECURITY_HEADERS, now_of, page, sessions_of
from bot.program.spreadsheet import safe_cell
from store import audit as trail
from store.audit import record
from store.db import transaction
from store.models import AuditEvent, Patient, Pharmacy

PAGE_SIZE = 100
EXPORT_LIMIT = 50_000
MAX_ID = 2**31 - 1

router = APIRouter(include_in_schema=False)


def _compact(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _text(raw: str | None, limit: int) -> str | None:
    return (raw or "").replace("\x00", "").strip()[:limit] or None


def _number(raw: str | None) -> int | None:
    value = (raw or "").strip()
    return int(value) if value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID else None


@dataclass(frozen=True)
class Asked:
    """The filters as typed (to refill the form and the links) and as the store reads them."""

    who: str
    patient: str
    kind: str
    outcome: str
    pharmacy: str
    subject: str

    def query(self, **more: Any) -> str:
        pairs = {**self.__dict__, **more}
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})


def _patient_ids(session: Session, typed: str | None) -> tuple[int, ...] | None:
    """A patient by MedSync's number ("12" or "patient:12") or the pharmacy's id ("P1001")."""
    if not typed:
        return None
    number = _number(typed.removeprefix("patient:"))
    if number is not None:
        return (number,)
    return tuple(session.scalars(select(Patient.id).where(Patient.external_id == typed[:64])))


def _asked(
    who: str | None = None,
    patient: str | None = None,
    kind: str | None = None,
    outcome: str | None = None,
    pharmacy: str | None = None,
    subject: str | None = None,
) -> Asked:
    """The trail's filters from the query string (a dependency of the page and the CSV)."""
    return Asked(
        who=_text(who, 200) or "",
        patient=_text(patient, 64) or "",
        kind=_text(kind, 64) or "",
        outcome=outcome if outcome in trail.OUTCOMES else "",
        pharmacy=str(_number(pharmacy) or ""),
        subject=_text(subject, 64) or "",
    )


AskedFilters = Annotated[Asked, Depends(_asked)]


def _filter(session: Session, asked: Asked) -> trail.Filter:
    return trail.Filter(
        actor=asked.who or None,
        action=asked.kind or None,
        outcome=asked.outcome or None,
        subject=asked.subject or None,
        chain=_number(asked.pharmacy),
        patient_ids=_patient_ids(session, asked.patient or None),
    )


def _admins_only(request: Request, actor: Actor) -> Response | None:
    why = refusal(actor.role, Permission.READ_AUDIT)
    if why is None:
        return None
    return page(
        request,
        "message.html",
        {"title": "Admins only", "staff": actor, "heading": "Admins only", "text": why},
        status_code=403,
    )


@router.get("/audit")
def audit_trail(
    request: Request,
    actor: CurrentActor,
    asked: AskedFilters,
    before: str | None = None,
) -> Response:
    refused = _admins_only(request, actor)
    if refused is not None:
        return refused
    before_id = _number(before)
    with transaction(sessions_of(request)) as session:
        events = list(trail.search(session, _filter(session, asked), PAGE_SIZE, before_id))
        pharmacies = list(session.scalars(select(Pharmacy).order_by(Pharmacy.name)))
        record(
            session, actor.audit_name, "view_audit", "audit", now_of(request),
            after={k: v for k, v in asked.__dict__.items() if v},
        )  # fmt: skip
    rows = [{"event": e, "before": _compact(e.before), "after": _compact(e.after)} for e in events]
    return page(
        request,
        "audit.html",
        {
            "title": "Audit trail",
            "staff": actor,
            "rows": rows,
            "asked": asked,
            "who": asked.who,
            "subject": asked.subject,
            "outcomes": trail.OUTCOMES,
            "pharmacies": pharmacies,
            "older": events[-1].id if len(events) == PAGE_SIZE else None,
            "older_query": asked.query(before=events[-1].id) if events else "",
            "export_query": asked.query(),
        },
    )


CSV_COLUMNS = (
    "id", "when_utc", "pharmacy", "position", "who", "kind", "record", "outcome",
    "patients", "before", "after", "hash",
)  # fmt: skip


def _csv_row(event: AuditEvent) -> list[str]:
    return [
        str(event.id),
        event.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        str(event.chain),
        str(event.seq),
        safe_cell(event.actor),
        safe_cell(event.action),
        safe_cell(event.subject),
        event.outcome,
        safe_cell((event.patients or "").strip()),
        safe_cell(_compact(event.before)),
        safe_cell(_compact(event.after)),
        event.chain_hash,
    ]


@router.get("/audit.csv")
def audit_csv(
    request: Request,
    actor: CurrentActor,
    asked: AskedFilters,
) -> Response:
    refused = _admins_only(request, actor)
    if refused is not None:
        return refused
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    with transaction(sessions_of(request)) as session:
        events = trail.search(session, _filter(session, asked), EXPORT_LIMIT)
        for event in events:
            writer.writerow(_csv_row(event))
        record(
            session, actor.audit_name, "export_audit", "audit", now_of(request),
            after={**{k: v for k, v in asked.__dict__.items() if v}, "rows": len(events)},
        )  # fmt: skip
    response = Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers["Content-Disposition"] = 'attachment; filename="medsync-audit.csv"'
    return response
