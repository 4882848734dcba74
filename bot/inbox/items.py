"""One review item: who, what they answered and when, the whole thread, the sync plan,
the history of decisions on this patient; and the forms that act on it."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import decisions, display, replies, triage
from bot.inbox.auth import CurrentActor
from bot.inbox.csrf import CsrfChecked
from bot.inbox.decisions import AlreadyDecided, InboxError, NotAllowed, NotFound, Outcome
from bot.inbox.households import shown as households_shown
from bot.inbox.households import view as household_view
from bot.inbox.plan_view import plan_view
from bot.inbox.staff import Actor
from bot.inbox.summaries import current_summary
from bot.inbox.web import (
    flash,
    now_of,
    page,
    see_other,
    sessions_of,
    settings_of,
    today_at,
)
from bot.languages import catalogs
from bot.program.assessments import english_answers
from bot.program.open_days import next_pickup
from bot.program.preferences import of as preferences_of
from bot.program.words import said_in
from bot.settings.outreach import OutreachSettings
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from dialogs.turn import Say
from store import inbox as store
from store import queries
from store.assessment_responses import response_for
from store.audit import record
from store.db import transaction
from store.models import (
    AuditEvent,
    CheckIn,
    ConsentKind,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class AnswerLine:
    question: str
    answer: str  # the value as recorded ("No", "Asked to move the pickup to day 5", free text)
    flagged: bool
    wrote: str = ""  # the patient's own words it was read from ("" when none were kept)

    @property
    def shown(self) -> str:
        """ "No — wrote: 'no hospital but my doctor added lisinopril'" (plain text: the page
        escapes it like any patient-written text)."""
        if not self.wrote or self.wrote == self.answer:
            return self.answer
        return f"{self.answer} — wrote: '{self.wrote}'"

    @property
    def words(self) -> str:  # the item page's name for `wrote`
        return self.wrote


def answer_lines(
    answers: dict[str, Any],
    flags: list[str] | tuple[str, ...],
    definition: str,
    anchor: dt.date | None,
    words: dict[str, str] | None = None,
) -> list[AnswerLine]:
    """The check-in's questions in English, in the order asked, each with the answer and the
    patient's words behind it."""
    known = definition in ("", DEFAULT_CHECK_IN.key)
    questions = {q.id: q for q in DEFAULT_CHECK_IN.questions} if known else {}
    ordered = [k for k in questions if k in answers] + [k for k in answers if k not in questions]
    lines = []
    for key in ordered:
        q = questions.get(key)
        if q is None:
            question = EXTRA_LABELS.get(key) or display.key_words(key)
        else:
            when: str | dt.date = anchor if anchor else "the pickup date"
            question = catalogs.render(Say(q.prompt, {"date": when}), "en")
        wrote = str((words or {}).get(key) or "")
        lines.append(AnswerLine(question, _answer_text(answers[key]), key in flags, wrote))
    return lines


def enrollment_lines(
    session: Session, item: ReviewItem, trigger: Message | None
) -> list[AnswerLine]:
    """A new enrollment's answers: joining (the consent record's own words) and the pickup
    day (the text that chose it)."""
    lines = []
    consent = store.latest_consent(session, item.patient_id, ConsentKind.ENROLLMENT_ACCEPTED)
    if consent is not None:
        lines.append(AnswerLine("Join med sync?", "Yes", False, consent.wording))
    day = (item.details or {}).get("anchor_day")
    if day is not None:
        chose = said_in(trigger)
        lines.append(AnswerLine("Pickup day", f"Day {day}", False, chose))
    return lines


def quoted(item: ReviewItem) -> list[str]:
    """What a call-back (or any item) says the patient wrote: details["wrote"], one text or
    several."""
    wrote = (item.details or {}).get("wrote")
    if isinstance(wrote, str):
        return [wrote] if wrote.strip() else []
    if isinstance(wrote, list | tuple):
        return [str(w) for w in wrote if str(w).strip()]
    return []


# Answers no question asked: what else the patient wrote with an answer (the reader keeps it
# under "notes", a list of their own words, and it holds the fill).
EXTRA_LABELS = {"notes": "Also wrote, for the pharmacist"}


def _answer_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " / ".join(str(v) for v in value)
    if value in ("yes", "no"):
        return str(value).capitalize()
    if isinstance(value, dict) and "day" in value:
        return f"Asked to move the pickup to day {value['day']}"
    if isinstance(value, str) and value and value == value.lower() and "_" in value:
        return display.key_words(value)  # an option's key ('not_sure'), never shown raw
    return str(value)


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    actor: str
    action: str
    subject: str
    note: str


ACTION_WORDS = {
    "approve": "Approved",
    "decline": "Declined",
    "called_patient": "Called the patient",
    "prescription_status": "Prescription status changed",
    "disenroll_missed_cycles": "Disenrolled (missed pickups)",
    "close": "Closed",
    "reply": "Replied by text",
    "edit_anchor_day": "Changed the pickup day",
    "opt_out": "Opted the patient out",
}


def history_lines(events: list[AuditEvent]) -> list[HistoryLine]:
    lines = []
    for event in events:
        after = event.after or {}
        note = ""
        item = after.get("review_item")
        if isinstance(item, dict):
            note = str(item.get("note") or "")
        if event.action == "called_patient":
            note = str(after.get("note") or "")
        if event.action == "prescription_status":  # issue 16: the export or --full
            was = (event.before or {}).get("status")
            note = (
                f"{after.get('rx_number')}: {was} → {after.get('status')} ({after.get('because')})"
            )
        if event.action == "disenroll_missed_cycles":
            note = f"{after.get('missed_in_a_row')} pickups in a row not picked up"
        if event.action == "edit_anchor_day":
            before = (event.before or {}).get("enrollment") or {}
            now = after.get("enrollment") or {}
            note = f"Day {before.get('anchor_day')} → day {now.get('anchor_day')}"
        lines.append(
            HistoryLine(
                event.created_at,
                event.actor,
                ACTION_WORDS.get(event.action, event.action.replace("_", " ")),
                event.subject,
                note,
            )
        )
    return lines


def item_answers(
    session: Session, item: ReviewItem, check_in: CheckIn | None, trigger: Message | None
) -> list[AnswerLine]:
    """What the patient answered, each value with their words: the check-in's, a standalone
    assessment's (in the version asked), or a new enrollment's."""
    details = item.details or {}
    if check_in is not None:
        return answer_lines(
            check_in.answers,
            check_in.flags,
            check_in.definition,
            check_in.anchor_date,
            check_in.words,
        )
    if item.kind == ReviewKind.ASSESSMENT:
        # In the words of the version the patient was asked, even after the file changed.
        kept = assessment_words(session, item)
        return [
            AnswerLine(a.question, a.answer, a.flagged, kept.get(a.id, ""))
            for a in english_answers(session, item.pharmacy_id, details)
        ]
    if item.kind == ReviewKind.NEW_ENROLLMENT:
        return enrollment_lines(session, item, trigger)
    return answer_lines(
        dict(details.get("answers") or {}),
        list(details.get("flags") or []),
        "",
        None,
        dict(details.get("words") or {}),
    )


def assessment_words(session: Session, item: ReviewItem) -> dict[str, str]:
    sending = (item.details or {}).get("sending")
    if item.patient_id is None or not isinstance(sending, str):
        return {}
    response = response_for(session, item.patient_id, sending)
    return dict(response.words or {}) if response is not None else {}


@dataclass(frozen=True)
class OpenItem:
    """One of the patient's open items, decided on the same screen."""

    item: ReviewItem
    summary: str
    actions: tuple[str, ...]
    current: bool


@dataclass(frozen=True)
class ThreadLine:
    message: Message
    since_item: bool  # written by the patient since the item opened: "What they wrote"
    goes_at: dt.datetime | None  # a queued text that sending hours hold


def _item_context(
    session: Session,
    request: Request,
    actor: Actor,
    item: ReviewItem,
    phone_shown: bool = False,
) -> dict[str, Any]:
    pharmacy = session.get(Pharmacy, item.pharmacy_id)
    assert pharmacy is not None
    now = now_of(request)
    today = today_at(request, pharmacy.timezone)
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id) if patient else None
    check_in = session.get(CheckIn, item.check_in_id) if item.check_in_id else None
    trigger = session.get(Message, item.message_id) if item.message_id else None
    answers = item_answers(session, item, check_in, trigger)
    phone = patient.phone if patient else item.phone
    messages = store.thread(session, item.pharmacy_id, phone) if phone else []
    outreach = outreach_settings()
    thread = [
        ThreadLine(
            m,
            m.direction == Direction.INBOUND
            and (m.id == item.message_id or m.created_at >= item.created_at),
            _held_until(m, patient, pharmacy, now, outreach),
        )
        for m in messages
    ]
    wrote = [line.message for line in thread if line.since_item]
    if item.message_id and not any(m.id == item.message_id for m in wrote):
        trigger = session.get(Message, item.message_id)
        wrote = [trigger, *wrote] if trigger is not None else wrote
    subjects = [f"review_item:{item.id}"]
    others: list[ReviewItem] = []
    if patient is not None:
        others = list(store.items_of_patient(session, patient.id))
        subjects += [f"patient:{patient.id}"] + [f"review_item:{i.id}" for i in others]
    history = history_lines(list(store.audit_of(session, subjects)))
    plan = (
        plan_view(patient, today, enrollment.anchor_day if enrollment else None)
        if patient is not None
        else None
    )
    household = household_view(session, patient) if patient is not None else None
    open_items = [
        OpenItem(
            i,
            current_summary(i, enrollment, _check_in_of(session, i, check_in), pharmacy),
            decisions.actions_for(i),
            i.id == item.id,
        )
        for i in [item, *[o for o in others if o.id != item.id]]
        if i.status == ReviewStatus.PENDING
    ]
    enrollment_item = next((i for i in others if i.kind == ReviewKind.NEW_ENROLLMENT), None)
    if item.unread:
        item.unread = False  # someone on staff has it open now
    record(
        session,
        actor.audit_name,
        "view_review_item",
        f"review_item:{item.id}",
        now,
        after={"patient_id": item.patient_id},
        patients=households_shown(household),
    )
    language = patient.language if patient else "en"
    can_reply = bool(phone) and not (patient and decisions.cannot_text(patient))
    return {
        "title": f"{display.kind_label(item.kind)} #{item.id}",
        "staff": actor,
        "item": item,
        "summary": current_summary(item, enrollment, check_in, pharmacy),
        "pharmacy": pharmacy,
        "patient": patient,
        "phone": phone,
        "phone_shown": phone if phone_shown else None,
        "may_show_number": bool(phone) and item.kind in CALLING_KINDS,
        "age": display.age(patient.birth_date, today) if patient else None,
        "enrollment": enrollment,
        "next_pickup": next_pickup(
            pharmacy, enrollment.next_anchor_date if enrollment else None, today
        ),
        "enrollment_words": display.enrollment_words(
            enrollment.status.value if enrollment else None,
            enrollment_item.status.value if enrollment_item else None,
        ),
        "check_in": check_in,
        "answers": answers,
        "quoted": quoted(item),
        "trigger": trigger,
        "wrote": wrote,
        "thread": thread,
        "plan": plan,
        "history": history,
        "open_items": open_items,
        "other_items": [i for i in others if i.id != item.id][:20],
        "household": household,
        "actions": decisions.actions_for(item),
        "may_decide": actor.may_decide,
        "can_reply": can_reply,
        "no_text_reason": decisions.cannot_text(patient) if patient else None,
        "today": today,
        "segments": replies.segment_hint("", language),
        "saved_replies": replies.choices_for(session, item.pharmacy_id, language)
        if can_reply
        else [],
        "reply_goes_at": replies.goes_at(patient, pharmacy, phone, now, outreach)
        if phone
        else None,
        "detailed": patient is not None and preferences_of(session, patient).detailed,
        "thread_hours": settings_of(request).staff_thread_hours,
        "thread_open_until": _thread_until(session, item, phone, now),
    }


def outreach_settings() -> OutreachSettings:
    """The sending hours (MEDSYNC_SENDING_HOURS_*), read afresh for each page like the rest of
    the settings: a process-wide cache kept the first value it saw (a test's, or a setting
    changed while serving)."""
    return OutreachSettings()


# Items about reaching the patient by phone: staff may reveal the number (audited).
CALLING_KINDS = frozenset({ReviewKind.CALL_BACK, ReviewKind.NO_ANSWER})


def _check_in_of(session: Session, item: ReviewItem, known: CheckIn | None) -> CheckIn | None:
    if item.check_in_id is None:
        return None
    if known is not None and known.id == item.check_in_id:
        return known
    return session.get(CheckIn, item.check_in_id)


def _held_until(
    message: Message,
    patient: Patient | None,
    pharmacy: Pharmacy,
    now: dt.datetime,
    outreach: OutreachSettings,
) -> dt.datetime | None:
    """When a queued text will go, if sending hours hold it."""
    if message.direction != Direction.OUTBOUND or message.status != MessageStatus.QUEUED:
        return None
    if message.deferred_until is not None and message.deferred_until > now:
        return message.deferred_until
    return replies.goes_at(patient, pharmacy, message.phone, now, outreach)


def _thread_until(
    session: Session, item: ReviewItem, phone: str | None, now: dt.datetime
) -> dt.datetime | None:
    """Until when a staff reply's thread on this item stays open, if it is open now."""
    if not phone:
        return None
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.pharmacy_id == item.pharmacy_id, Conversation.phone == phone
        )
    )
    if conversation is None or conversation.staff_thread_item_id != item.id:
        return None
    until = conversation.staff_thread_until
    return until if until is not None and until > now else None


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
            item = decisions.item_for(session, actor, item_id)
            context = _item_context(session, request, actor, item, phone_shown)
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
            item = decisions.item_for(session, actor, item_id)
            if item.kind not in CALLING_KINDS:
                raise decisions.BadRequest(
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
    except decisions.NotFound:
        return _render_item(request, actor, item_id)
    except decisions.InboxError as problem:
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
    send_after_commit(request, outcome)
    flash(request, "ok", outcome.message)
    # Once decided, on to the next item (bot/inbox/triage.py); otherwise back to this one.
    return see_other(back or triage.after_action(request, actor, item_id))


def send_after_commit(request: Request, outcome: Outcome) -> None:
    for message_id in outcome.send:
        try:
            request.app.state.jobs.send(message_id)
        except Exception:
            # The row is stored as queued; whoever runs the outbound queue can send it later.
            log.exception("could not hand message %s to the sender", message_id)
            flash(request, "warn", "The text is saved but could not be sent yet.")


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
        item = decisions.item_for(session, actor, item_id)
        if item.kind != ReviewKind.NEW_ENROLLMENT or item.patient_id is None:
            raise decisions.BadRequest("The pickup day is changed on enrollment items.")
        if not day.strip().isdigit():
            raise decisions.BadRequest("Choose a pickup day from 1 to 28, so it comes every month.")
        return decisions.set_anchor_day(
            session,
            actor,
            item.patient_id,
            int(day.strip()[:3]),
            now,
            _today(session, request, item_id),
            preparation,
        )

    return _act(request, actor, item_id, run, draft={"day": day})
