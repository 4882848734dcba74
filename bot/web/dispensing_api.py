"""`POST /api/v1/dispensing-events`: the pharmacy system tells MedSync what happened to fills.

A batch per request (up to 1,000 events), one answer per event in the order sent: recorded,
unchanged (the same event id with the same content was recorded before), or rejected with
the reason (an unknown patient or prescription, an event id seen before with other content, a
value that cannot be used). The good events are kept whatever happens to the others. The same
code path as the fills file and FHIR bundles (bot/imports/dispensing.py). Needs a token with
the `dispensing:write` scope; the batch is audited with its counts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Request as HttpRequest
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.imports.dispensing import record_events
from bot.imports.dispensing_events import KINDS, Event, Outcome
from bot.inbox.web import now_of, sessions_of
from bot.web.tokens import DispensingPoster
from store.audit import record
from store.db import transaction
from store.dispensing import EventKind
from store.models import Pharmacy

router = APIRouter(prefix="/api/v1", tags=["integrations"])
MAX_BATCH = 1000
MAX_ID = 2**31 - 1


class DispensingEventIn(BaseModel):
    """One event. Values are checked one event at a time: a bad one is answered as rejected
    and the others are kept (so types here are loose on purpose)."""

    event_id: str = Field(min_length=1, max_length=128, description="Unique per pharmacy.")
    event: str = Field(description=f"One of {', '.join(KINDS)}.")
    patient_id: str = Field(description="The export's patient_id.")
    rx_number: str
    fill_date: str = Field(description="YYYY-MM-DD: the day the fill was prepared.")
    event_date: str | None = Field(
        default=None,
        description="YYYY-MM-DD: the day of the event (the pickup); default fill_date.",
    )
    days_supply: int | str | None = Field(default=None, description="Needed for a new fill.")
    quantity: Decimal | str | None = Field(default=None, description="Needed for a new fill.")


class DispensingBatch(BaseModel):
    pharmacy_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = Field(
        default=None, description="Needed when the token's owner sees several pharmacies."
    )
    events: list[DispensingEventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventResult(BaseModel):
    index: int = Field(description="The event's place in the batch, from 0.")
    event_id: str | None
    status: Literal["recorded", "unchanged", "rejected"]
    reason: str | None = Field(description="Why it was rejected, in a sentence.")


class DispensingResult(BaseModel):
    recorded: int
    unchanged: int
    rejected: int
    fills_created: int
    fills_updated: int
    pickup_cycles_changed: int
    results: list[EventResult]


@router.post(
    "/dispensing-events",
    response_model=DispensingResult,
    responses={
        403: {"description": "The token lacks the dispensing:write scope."},
        404: {"description": "No such pharmacy for this token."},
        422: {"description": "Not a batch: no events, more than 1,000, or no event_id."},
    },
)
def post_dispensing_events(
    request: HttpRequest, batch: DispensingBatch, actor: DispensingPoster
) -> DispensingResult:
    """Record a batch of dispensing events (dispensed, picked_up, returned_to_stock,
    reversed), idempotent by event_id; one result per event."""
    now = now_of(request)
    with transaction(sessions_of(request)) as session:
        pharmacy = _pharmacy(session, actor.pharmacy_ids, batch.pharmacy_id)
        events, rejected = _read(batch.events)
        report = record_events(session, pharmacy, events, now, "api", rejected=rejected)
        by_ref = {o.ref: o for o in report.outcomes}
        results = [
            EventResult(
                index=i,
                event_id=item.event_id,
                status=by_ref[f"item {i}"].status,
                reason=by_ref[f"item {i}"].reason,
            )
            for i, item in enumerate(batch.events)
        ]
        counts = {s: sum(1 for r in results if r.status == s) for s in ("recorded", "unchanged")}
        result = DispensingResult(
            recorded=counts["recorded"],
            unchanged=counts["unchanged"],
            rejected=len(results) - counts["recorded"] - counts["unchanged"],
            fills_created=report.fills_created,
            fills_updated=report.fills_updated,
            pickup_cycles_changed=report.cycles_changed,
            results=results,
        )
        record(
            session,
            actor.audit_name,
            "dispensing_events",
            f"pharmacy:{pharmacy.id}",
            now,
            after=result.model_dump(exclude={"results"}),
        )
    return result


def _pharmacy(session: Session, visible: frozenset[int] | None, wanted: int | None) -> Pharmacy:
    if wanted is not None:
        found = session.get(Pharmacy, wanted)
        if found is None or (visible is not None and wanted not in visible):
            raise HTTPException(status_code=404, detail=f"There is no pharmacy #{wanted}.")
        return found
    ids = sorted(visible) if visible is not None else list(session.scalars(select(Pharmacy.id)))
    if len(ids) != 1:
        raise HTTPException(
            status_code=422,
            detail="This token's owner sees several pharmacies: say which with pharmacy_id.",
        )
    pharmacy = session.get(Pharmacy, ids[0])
    assert pharmacy is not None
    return pharmacy


def _read(items: list[DispensingEventIn]) -> tuple[list[Event], list[Outcome]]:
    events: list[Event] = []
    rejected: list[Outcome] = []
    for i, item in enumerate(items):
        ref = f"item {i}"
        reasons: list[str] = []
        kind = None
        try:
            kind = EventKind(item.event.strip().lower())
        except ValueError:
            reasons.append(f"event '{item.event[:40]}' is not one of {', '.join(KINDS)}")
        fill_date = _date("fill_date", item.fill_date, reasons)
        event_date = _date("event_date", item.event_date, reasons) if item.event_date else None
        patient, rx = item.patient_id.strip(), item.rx_number.strip()
        if not item.event_id.strip():
            reasons.append("event_id is blank")
        if not patient or len(patient) > 64:
            reasons.append("patient_id must be 1 to 64 characters")
        if not rx or len(rx) > 64:
            reasons.append("rx_number must be 1 to 64 characters")
        days = _number("days_supply", item.days_supply, reasons)
        if days is not None and (days != int(days) or not 1 <= days <= 366):
            reasons.append(f"days_supply {days} must be a whole number from 1 to 366")
        quantity = _number("quantity", item.quantity, reasons)
        if quantity is not None and not Decimal(0) <= quantity < Decimal("1e9"):
            reasons.append(f"quantity {quantity} must be between 0 and 999,999,999")
        if reasons or kind is None or fill_date is None:
            why = "; ".join(reasons)
            rejected.append(Outcome(ref, item.event_id, patient[:64], rx[:64], "rejected", why))
            continue
        events.append(
            Event(
                ref=ref,
                patient_id=patient,
                rx_number=rx,
                kind=kind,
                fill_date=fill_date,
                occurred_on=event_date or fill_date,
                event_id=item.event_id.strip(),
                days_supply=None if days is None else int(days),
                quantity=quantity,
            )
        )
    return events, rejected


def _number(name: str, value: int | str | Decimal | None, reasons: list[str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        reasons.append(f"{name} '{str(value)[:40]}' is not a number")
        return None
    if not number.is_finite():
        reasons.append(f"{name} '{str(value)[:40]}' is not a number")
        return None
    return number


def _date(name: str, text: str | None, reasons: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        reasons.append(f"{name} '{(text or '')[:40]}' is not a date (expected YYYY-MM-DD)")
        return None
