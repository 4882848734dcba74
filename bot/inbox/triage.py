"""Fast triage: where to go after a decision, bulk approval of routine enrollments, and the
item page's live notice ("a colleague decided this while you looked").

After a decision the pharmacist lands on the next item: another open item of the same
patient first, else the next pending item in queue order (flagged first, oldest first),
else the queue. A bulk approval approves each routine enrollment (a new enrollment, not
flagged, whose patient has nothing flagged waiting) in its own transaction, through the
same `decisions.approve` as the item page: each is its own audited decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import claiming, decisions
from bot.inbox.auth import CurrentActor
from bot.inbox.claiming import InboxError
from bot.inbox.csrf import CsrfChecked
from bot.inbox.policy import Permission, refusal
from bot.inbox.staff import Actor
from bot.inbox.web import (
    flash,
    local_path,
    now_of,
    refused,
    secure,
    see_other,
    sessions_of,
    settings_of,
    templates,
    today_at,
)
from store import queue_rows
from store.db import transaction
from store.models import Pharmacy, ReviewItem, ReviewKind, ReviewStatus

MAX_BULK = 100  # one page of the queue, and then some

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------ what is routine


def routine_enrollment(item: ReviewItem) -> bool:
    """A new enrollment with nothing flagged about it: safe to approve from the queue."""
    return (
        item.kind == ReviewKind.NEW_ENROLLMENT
        and item.priority != 0
        and not (item.details or {}).get("flags")
    )


def routine_ids(session: Session, items: Sequence[ReviewItem]) -> list[int]:
    """The pending routine enrollments among `items` whose patient has nothing flagged
    waiting: what the queue offers to approve in bulk."""
    candidates = [i for i in items if i.status == ReviewStatus.PENDING and routine_enrollment(i)]
    patients = {i.patient_id for i in candidates if i.patient_id is not None}
    if not patients:
        return []
    flagged = set(
        session.scalars(
            select(ReviewItem.patient_id).where(
                ReviewItem.patient_id.in_(list(patients)),
                ReviewItem.status == ReviewStatus.PENDING,
                ReviewItem.priority == 0,
            )
        )
    )
    return [i.id for i in candidates if i.patient_id is not None and i.patient_id not in flagged]


def _patient_has_flags(session: Session, item: ReviewItem) -> bool:
    if item.patient_id is None:
        return True
    flagged = session.scalar(
        select(ReviewItem.id).where(
            ReviewItem.patient_id == item.patient_id,
            ReviewItem.status == ReviewStatus.PENDING,
            ReviewItem.priority == 0,
        )
    )
    return flagged is not None


# ------------------------------------------------------------------ the next item


def next_item(
    session: Session, actor: Actor, item: ReviewItem, patient_first: bool = False
) -> int | None:
    """The pending item after `item` in queue order (wrapping round), or None when nothing is
    pending; with `patient_first`, another open item of the same patient before any other."""
    pending = select(ReviewItem.id).where(
        ReviewItem.status == ReviewStatus.PENDING, ReviewItem.id != item.id
    )
    if actor.pharmacy_ids is not None:
        pending = pending.where(ReviewItem.pharmacy_id.in_(list(actor.pharmacy_ids)))
    order = (ReviewItem.priority, ReviewItem.created_at, ReviewItem.id)
    if patient_first and item.patient_id is not None:
        same = session.scalar(
            pending.where(ReviewItem.patient_id == item.patient_id).order_by(*order).limit(1)
        )
        if same is not None:
            return same
    key = tuple_(*order) > tuple_(item.priority, item.created_at, item.id)
    after = session.scalar(pending.where(key).order_by(*order).limit(1))
    if after is not None:
        return after
    first: int | None = session.scalar(pending.order_by(*order).limit(1))
    return first


def previous_item(session: Session, actor: Actor, item: ReviewItem) -> int | None:
    """The pending item before `item` in queue order (the last one when none is before)."""
    pending = select(ReviewItem.id).where(
        ReviewItem.status == ReviewStatus.PENDING, ReviewItem.id != item.id
    )
    if actor.pharmacy_ids is not None:
        pending = pending.where(ReviewItem.pharmacy_id.in_(list(actor.pharmacy_ids)))
    order = (ReviewItem.priority, ReviewItem.created_at, ReviewItem.id)
    key = tuple_(*order) < tuple_(item.priority, item.created_at, item.id)
    before = session.scalar(pending.where(key).order_by(*(o.desc() for o in order)).limit(1))
    if before is not None:
        return before
    last: int | None = session.scalar(pending.order_by(*(o.desc() for o in order)).limit(1))
    return last


@router.get("/inbox/items/{item_id}/next")
def go_next(request: Request, item_id: int, actor: CurrentActor) -> Response:
    return see_other(_neighbour(request, actor, item_id, next_item))


@router.get("/inbox/items/{item_id}/previous")
def go_previous(request: Request, item_id: int, actor: CurrentActor) -> Response:
    return see_other(_neighbour(request, actor, item_id, previous_item))


def _neighbour(
    request: Request,
    actor: Actor,
    item_id: int,
    find: Callable[[Session, Actor, ReviewItem], int | None],
) -> str:
    with transaction(sessions_of(request)) as session:
        item = session.get(ReviewItem, item_id)
        if item is None or not actor.sees(item.pharmacy_id):
            return "/inbox"
        found = find(session, actor, item)
    return f"/inbox/items/{found}" if found is not None else "/inbox"


def after_action(request: Request, actor: Actor, item_id: int) -> str:
    """Where an action on an item leads: the next item once it is decided, else back to it."""
    with transaction(sessions_of(request)) as session:
        item = session.get(ReviewItem, item_id)
        if item is None or item.status == ReviewStatus.PENDING:
            return f"/inbox/items/{item_id}"
        following = next_item(session, actor, item, patient_first=True)
    return f"/inbox/items/{following}" if following is not None else "/inbox"


def mark_read(request: Request, actor: Actor, item_id: int) -> None:
    """This staff member has the item open now (an item they may not see is not marked)."""
    with transaction(sessions_of(request)) as session:
        item = session.get(ReviewItem, item_id)
        if item is not None and actor.sees(item.pharmacy_id):
            queue_rows.mark_read(session, actor.user_id, item, now_of(request))


# ------------------------------------------------------------------ bulk approval


def _approve_one(request: Request, actor: Actor, item_id: int, now: dt.datetime) -> str | None:
    """Approve one routine enrollment in its own transaction; None, or why it was left."""
    preparation = settings_of(request).preparation_days
    try:
        with transaction(sessions_of(request)) as session:
            item = claiming.item_for(session, actor, item_id)
            if item.status != ReviewStatus.PENDING:
                return f"#{item_id} was already decided"
            if not routine_enrollment(item) or _patient_has_flags(session, item):
                return f"#{item_id} is not a routine enrollment"
            pharmacy = session.get(Pharmacy, item.pharmacy_id)
            today = today_at(request, pharmacy.timezone) if pharmacy else now.date()
            outcome = decisions.approve(session, actor, item_id, now, today, preparation)
    except InboxError as problem:
        return f"#{item_id}: {problem}"
    claiming.send_after_commit(request, outcome.send, notice=False)
    return None


@router.post("/inbox/bulk-approve")
def bulk_approve(
    request: Request,
    actor: CurrentActor,
    _: CsrfChecked,
    item: Annotated[list[str] | None, Form()] = None,
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    target = local_path(back)
    why = refusal(actor.role, Permission.DECIDE)
    if why is not None:
        # The role policy's answer (issue 17): a 403 page, audited as refused; nothing changed.
        return refused(request, actor, why)
    ids = [int(i) for i in (item or []) if i.isdigit() and 0 < int(i) < 2**31][:MAX_BULK]
    if not ids:
        flash(request, "warn", "No routine enrollments were chosen; nothing was changed.")
        return see_other(target)
    now = now_of(request)
    left = [reason for i in dict.fromkeys(ids) if (reason := _approve_one(request, actor, i, now))]
    approved = len(dict.fromkeys(ids)) - len(left)
    plural = "" if approved == 1 else "s"
    flash(request, "ok", f"Approved {approved} routine enrollment{plural}, each recorded.")
    if left:
        flash(request, "warn", "Left for a closer look: " + "; ".join(left[:10]) + ".")
    return see_other(target)


# ------------------------------------------------------------------ the item page's live notice


@router.get("/inbox/items/{item_id}/live")
def item_news(request: Request, item_id: int, actor: CurrentActor) -> Response:
    """What changed about an open item since this staff member opened it: a colleague's
    decision (shown before they act) and texts the patient sent meanwhile."""
    with transaction(sessions_of(request)) as session:
        item = session.get(ReviewItem, item_id)
        if item is None or not actor.sees(item.pharmacy_id):
            return secure(Response(status_code=204))
        pharmacy = session.get(Pharmacy, item.pharmacy_id)
        read = queue_rows.reads(session, actor.user_id, [item_id]).get(item_id)
        new_texts = queue_rows.texts_since(session, item, read.seen_message_id) if read else 0
        following = (
            next_item(session, actor, item, patient_first=True)
            if item.status != ReviewStatus.PENDING
            else None
        )
        context = {
            "item": item,
            "timezone": pharmacy.timezone if pharmacy else "UTC",
            "by_someone_else": item.status != ReviewStatus.PENDING
            and item.decided_by != actor.decided_by,
            "new_texts": new_texts,
            "next_item": following,
        }
        response = templates.TemplateResponse(request, "_item_news.html", context)
    return secure(response)
