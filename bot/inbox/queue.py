"""The queue (/inbox): pending first, flagged before routine, oldest first; filters by
kind, status and pharmacy; search by name, phone or patient id; counts per kind; paged by
key so 10,000 items open at once.

Each row shows what is new: the patient's latest words (escaped like every patient text),
whether the signed-in staff member has read the item since, how long the patient has waited
since that text; one patient's items on the page sit together. The page reloads its list
when news arrives (bot/inbox/live.py; htmx swaps #queue-list)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import display, triage
from bot.inbox.auth import CurrentActor
from bot.inbox.staff import Actor
from bot.inbox.web import now_of, page, sessions_of
from store import inbox as store
from store import queue_rows as rows_store
from store.audit import record
from store.db import transaction
from store.models import Patient, Pharmacy, ReviewItem, ReviewKind, ReviewStatus

PAGE_SIZE = 50

router = APIRouter(include_in_schema=False)


WORDS_SHOWN = 200  # characters of the latest text in a row; the item page has them all
MAX_SEARCH = 100


@dataclass(frozen=True)
class Row:
    item: ReviewItem
    patient: Patient | None
    pharmacy: Pharmacy
    waited: str
    words: str  # the patient's latest text ("" when they have not written)
    unread: bool
    first_of_patient: bool = True  # the first of this patient's rows on the page
    more_open: int = 0  # this patient's other pending items not on this page


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= WORDS_SHOWN else text[: WORDS_SHOWN - 1].rstrip() + "…"


def grouped(rows: list[Row]) -> list[Row]:
    """One patient's rows together, where the first of them stands; others keep their place."""
    order: dict[object, list[Row]] = {}
    for row in rows:
        key = ("patient", row.item.patient_id) if row.item.patient_id else ("item", row.item.id)
        order.setdefault(key, []).append(row)
    result: list[Row] = []
    for group in order.values():
        result.extend(replace(row, first_of_patient=(n == 0)) for n, row in enumerate(group))
    return result


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
    q: str = "",
) -> Response:
    notices: list[str] = []
    search = " ".join(q.split())[:MAX_SEARCH]
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
            search=search,
        )
        result = store.queue_page(
            session, scope, PAGE_SIZE, after=after_cursor, before=before_cursor
        )
        counts = store.queue_counts(session, scope)
        rows = _rows(session, actor, result.items, pharmacies, now)
        routine = triage.routine_ids(session, result.items) if actor.may_decide else []
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
            patients={i.patient_id for i in result.items if i.patient_id is not None},
        )
    kind_base = {"status": chosen_status}
    if pharmacy_id is not None:
        kind_base["pharmacy"] = str(pharmacy_id)
    if search:
        kind_base["q"] = search
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
            "search": search,
            "self_url": str(request.url.path)
            + ("?" + request.url.query if request.url.query else ""),
            "routine_enrollments": routine,
            "may_decide": actor.may_decide,
        },
    )


def _rows(
    session: Session,
    actor: Actor,
    items: Sequence[ReviewItem],
    pharmacies: dict[int, Pharmacy],
    now: dt.datetime,
) -> list[Row]:
    patient_ids = {i.patient_id for i in items if i.patient_id is not None}
    patients = store.patients_by_id(session, patient_ids)
    words = rows_store.latest_words_of_patients(session, patient_ids)
    phone_words = rows_store.latest_words_of_phones(
        session, {(i.pharmacy_id, i.phone) for i in items if i.patient_id is None and i.phone}
    )
    read = rows_store.reads(session, actor.user_id, [i.id for i in items])
    open_counts = rows_store.open_items_per_patient(session, patient_ids)
    shown = Counter(i.patient_id for i in items if i.status == ReviewStatus.PENDING)
    rows: list[Row] = []
    for i in items:
        latest = (
            words.get(i.patient_id)
            if i.patient_id
            else phone_words.get((i.pharmacy_id, i.phone or ""))
        )
        last_seen = read.get(i.id)
        rows.append(
            Row(
                item=i,
                patient=patients.get(i.patient_id) if i.patient_id else None,
                pharmacy=pharmacies[i.pharmacy_id],
                waited=display.ago(latest.at if latest else i.created_at, now),
                words=_shortened(latest.body) if latest else "",
                unread=last_seen is None
                or (latest is not None and latest.message_id > (last_seen.seen_message_id or 0)),
                more_open=(
                    max(0, open_counts.get(i.patient_id, 0) - shown[i.patient_id])
                    if i.patient_id
                    else 0
                ),
            )
        )
    return grouped(rows)
