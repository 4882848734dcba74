"""The item page's routes: `/inbox/items/{id}` and the forms that act on it (approve, decline,
called, done, opt out, reply, the pickup day, revealing the number). Each form's action runs in
one transaction (bot/inbox/decisions.py); its texts are sent after the commit. The page's data is
bot/inbox/item_page.py."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import claiming, day_change, decisions, display, item_page, triage
from bot.inbox.auth import CurrentActor
from bot.inbox.claiming import (
    AlreadyDecided,
    InboxError,
    NotAllowed,
    NotFound,
    Outcome,
    send_after_commit,
)
from bot.inbox.csrf import CsrfChecked
from bot.inbox.item_page import CALLING_KINDS, outreach_settings
from bot.inbox.staff import Actor
from bot.inbox.web import flash, now_of, page, see_other, sessions_of, settings_of, today_at
from store.audit import record
from store.db import transaction
from store.models import Patient, Pharmacy, ReviewItem, ReviewKind

router = APIRouter(include_in_schema=False)


def _render_item(
    request: Request,
    actor: Actor,
    item_id: int,
    error: str = "",
    status_code: int = 200,
    draft: dict[str, str] | None = None,
    phone_shown: bool = False,
) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            item = claiming.item_for(session, actor, item_id)
            context = item_page.item_context(session, request, actor, item, phone_shown)
    except NotFound as missing:
        return page(
            request,
            "message.html",
            {"title": "Not found", "staff": actor, "heading": "Not found", "text": str(missing)},
            status_code=404,
        )
    draft = dict(draft or {})
    draft.setdefault("reply_key", secrets.token_urlsafe(16))
    return page(
        request,
        "item.html",
        {**context, "error": error, "draft": draft},
        status_code=status_code,
    )


@router.get("/inbox/items/{item_id}")
def show_item(request: Request, item_id: int, actor: CurrentActor) -> Response:
    triage.mark_read(request, actor, item_id)  # the queue's unread marker, per staff member
    return _render_item(request, actor, item_id)


@router.post("/inbox/items/{item_id}/number")
def show_number(request: Request, item_id: int, actor: CurrentActor, _: CsrfChecked) -> Response:
    """Reveal the patient's phone on a call-back or no-answer item; the view is audited."""
    try:
        with transaction(sessions_of(request)) as session:
            item = claiming.item_for(session, actor, item_id)
            if item.kind not in CALLING_KINDS:
                raise claiming.BadRequest(
                    "The number is shown on call-back and no-answer items only."
                )
            patient = session.get(Patient, item.patient_id) if item.patient_id else None
            subject = f"patient:{patient.id}" if patient else f"review_item:{item.id}"
            record(
                session,
                actor.audit_name,
                "view_phone",
                subject,
                now_of(request),
                after={"review_item": item.id, "reason": display.kind_label(item.kind)},
            )
    except claiming.NotFound:
        return _render_item(request, actor, item_id)
    except claiming.InboxError as problem:
        return _render_item(request, actor, item_id, str(problem), 400)
    return _render_item(request, actor, item_id, phone_shown=True)


def _back(from_item: str, item_id: int) -> str | None:
    """After acting on another open item of the patient, back to the page it was on; after
    deciding the page's own item, None (on to the next item: bot/inbox/triage.py)."""
    text = from_item.strip()
    if not text.isdigit() or not 0 < int(text) < 2**31 or int(text) == item_id:
        return None
    return f"/inbox/items/{int(text)}"


def _act(
    request: Request,
    actor: Actor,
    item_id: int,
    run: Callable[[Session], Outcome],
    draft: dict[str, str] | None = None,
    back: str | None = None,
) -> Response:
    """Apply one action in one transaction; send its texts after the commit."""
    try:
        with transaction(sessions_of(request)) as session:
            outcome = run(session)
    except AlreadyDecided as done:
        return _render_item(request, actor, item_id, str(done), 409)
    except NotAllowed as refused:
        request.state.refusal_reason = str(refused)  # in the audit row (inbox/refusals.py)
        return _render_item(request, actor, item_id, str(refused), 403, draft)
    except NotFound:
        return _render_item(request, actor, item_id)
    except InboxError as problem:
        return _render_item(request, actor, item_id, str(problem), 400, draft)
    except IntegrityError:
        # The unique key on an outbound text: the same form arrived twice at the same moment.
        return _render_item(request, actor, item_id, "This was already done.", 409)
    send_after_commit(request, outcome.send)
    flash(request, "ok", outcome.message)
    # Once decided, on to the next item (bot/inbox/triage.py); otherwise back to this one.
    return see_other(back or triage.after_action(request, actor, item_id))


def _today(session: Session, request: Request, item_id: int) -> dt.date:
    item = session.get(ReviewItem, item_id)
    pharmacy = session.get(Pharmacy, item.pharmacy_id) if item else None
    if pharmacy is None:
        return now_of(request).date()
    return today_at(request, pharmacy.timezone)


@router.post("/inbox/items/{item_id}/approve")
def approve(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    note: Annotated[str, Form()] = "",
    from_item: Annotated[str, Form()] = "",
) -> Response:
    preparation = settings_of(request).preparation_days
    now = now_of(request)
    return _act(
        request,
        actor,
        item_id,
        lambda s: decisions.approve(
            s, actor, item_id, now, _today(s, request, item_id), preparation, note
        ),
        back=_back(from_item, item_id),
    )


@router.post("/inbox/items/{item_id}/decline")
def decline(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    reason: Annotated[str, Form()] = "",
    from_item: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    return _act(
        request,
        actor,
        item_id,
        lambda s: decisions.decline(s, actor, item_id, reason, now),
        draft={"reason": reason},
        back=_back(from_item, item_id),
    )


@router.post("/inbox/items/{item_id}/called")
def called(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    note: Annotated[str, Form()] = "",
    from_item: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    return _act(
        request,
        actor,
        item_id,
        lambda s: decisions.mark_called(s, actor, item_id, note, now),
        draft={"call_note": note},
        back=_back(from_item, item_id),
    )


@router.post("/inbox/items/{item_id}/done")
def done(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    note: Annotated[str, Form()] = "",
    from_item: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    return _act(
        request,
        actor,
        item_id,
        lambda s: decisions.close(s, actor, item_id, note, now),
        draft={"done_note": note},
        back=_back(from_item, item_id),
    )


@router.post("/inbox/items/{item_id}/opt-out")
def opt_out(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    from_item: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    return _act(
        request,
        actor,
        item_id,
        lambda s: decisions.confirm_opt_out(s, actor, item_id, now),
        back=_back(from_item, item_id),
    )


@router.post("/inbox/items/{item_id}/reply")
def reply(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    body: Annotated[str, Form()] = "",
    reply_key: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    hours = settings_of(request).staff_thread_hours
    return _act(
        request,
        actor,
        item_id,
        lambda s: decisions.reply(
            s, actor, item_id, body, reply_key, now, hours, outreach_settings()
        ),
        draft={"body": body, "reply_key": reply_key},
    )


@router.post("/inbox/items/{item_id}/anchor-day")
def anchor_day(
    request: Request,
    item_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    day: Annotated[str, Form()] = "",
) -> Response:
    preparation = settings_of(request).preparation_days
    now = now_of(request)

    def run(session: Session) -> Outcome:
        item = claiming.item_for(session, actor, item_id)
        if item.kind != ReviewKind.NEW_ENROLLMENT or item.patient_id is None:
            raise claiming.BadRequest("The pickup day is changed on enrollment items.")
        if not day.strip().isdigit():
            raise claiming.BadRequest("Choose a pickup day from 1 to 28, so it comes every month.")
        return day_change.set_anchor_day(
            session,
            actor,
            item.patient_id,
            int(day.strip()[:3]),
            now,
            _today(session, request, item_id),
            preparation,
        )

    return _act(request, actor, item_id, run, draft={"day": day})
