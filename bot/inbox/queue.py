"""The queue (/inbox): pending first, flagged before routine, oldest first; filters by
kind, status and pharmacy; counts per kind; paged by key so 10,000 items open at once."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from bot.inbox import display
from bot.inbox.auth import CurrentActor
from bot.inbox.web import now_of, page, sessions_of
from store import inbox as store
from store.audit import record
from store.db import transaction
from store.models import Patient, Pharmacy, ReviewItem, ReviewKind

PAGE_SIZE = 50

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Row:
    item: ReviewItem
    patient: Patient | None
    pharmacy: Pharmacy
    waited: str


def _kind(raw: str | None) -> ReviewKind | None:
    try:
        return ReviewKind(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


@router.get("/inbox")
def queue(
    request: Request,
    actor: CurrentActor,
    kind: str | None = None,
    status: str | None = None,
    pharmacy: str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> Response:
    notices: list[str] = []
    chosen_kind = _kind(kind)
    if kind and chosen_kind is None:
        notices.append("That kind of item does not exist; showing every kind.")
    chosen_status = status if status in store.STATUS_FILTERS else "pending"
    if status and status not in store.STATUS_FILTERS:
        notices.append("That status does not exist; showing pending items.")
    pharmacy_id = _int(pharmacy)
    if pharmacy_id is not None and not actor.sees(pharmacy_id):
        pharmacy_id = None
        notices.append("You do not belong to that pharmacy; showing all of yours.")
    after_cursor = store.Cursor.decode(after) if after else None
    before_cursor = store.Cursor.decode(before) if before else None
    if (after and after_cursor is None) or (before and before_cursor is None):
        notices.append("That page link is out of date; showing the first page.")
    now = now_of(request)
    with transaction(sessions_of(request)) as session:
        pharmacies = store.pharmacies_by_id(session, actor.pharmacy_ids)
        scope = store.QueueFilter(
            allowed_pharmacies=actor.pharmacy_ids,
            pharmacy_id=pharmacy_id,
            kind=chosen_kind,
            status=chosen_status,
        )
        result = store.queue_page(
            session, scope, PAGE_SIZE, after=after_cursor, before=before_cursor
        )
        counts = store.queue_counts(session, scope)
        patients = store.patients_by_id(
            session, {i.patient_id for i in result.items if i.patient_id is not None}
        )
        rows = [
            Row(
                item=i,
                patient=patients.get(i.patient_id) if i.patient_id else None,
                pharmacy=pharmacies[i.pharmacy_id],
                waited=display.ago(i.created_at, now),
            )
            for i in result.items
        ]
        # Names and summaries of every patient listed: one audit row for the page.
        shown = {i.pharmacy_id for i in result.items}
        record(
            session,
            actor.audit_name,
            "view_queue",
            "queue",
            now,
            after={"items": [i.id for i in result.items], "status": chosen_status},
            pharmacy_id=shown.pop() if len(shown) == 1 else (pharmacy_id or 0),
            patients=patients,
        )
    kind_base = {"status": chosen_status}
    if pharmacy_id is not None:
        kind_base["pharmacy"] = str(pharmacy_id)
    base = {**kind_base, "kind": chosen_kind.value} if chosen_kind else kind_base
    return page(
        request,
        "queue.html",
        {
            "title": "Review queue",
            "staff": actor,
            "rows": rows,
            "counts": counts,
            "total": sum(counts.values()),
            "kinds": list(ReviewKind),
            "statuses": store.STATUS_FILTERS,
            "status_labels": display.STATUS_LABELS,
            "pharmacies": list(pharmacies.values()),
            "chosen_kind": chosen_kind.value if chosen_kind else "",
            "chosen_status": chosen_status,
            "chosen_pharmacy": pharmacy_id,
            "base_query": base,
            "kind_base": kind_base,
            "next_cursor": result.next_cursor.encode() if result.next_cursor else None,
            "previous_cursor": result.previous_cursor.encode() if result.previous_cursor else None,
            "notices": notices,
        },
    )
