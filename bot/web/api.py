"""A small JSON API for pharmacy systems: the review queue, patients' enrollment, decisions.

Authenticated with API tokens from `medsync token create` (bot/web/tokens.py): each route
needs a scope (reading items, deciding, reading patients). A token acts with its owner's
pharmacies and role, and every read of a patient's answers and every decision is audited like
the web inbox's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import local_date
from bot.inbox import claiming, decisions
from bot.inbox.answers import assessment_words, item_answers, quoted
from bot.inbox.claiming import (
    AlreadyDecided,
    InboxError,
    NotAllowed,
    NotFound,
    send_after_commit,
)
from bot.inbox.staff import Actor
from bot.inbox.web import clock_of, now_of, sessions_of, settings_of
from bot.web.tokens import Decider, ItemsReader, PatientsReader
from store import inbox as store
from store import queries
from store.audit import record
from store.db import transaction
from store.models import CheckIn, Message, Patient, Pharmacy, ReviewItem, ReviewKind

router = APIRouter(prefix="/api/v1", tags=["integrations"])
# Row ids are 32-bit integers in the database: a larger one is a 422, not a database error.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
PharmacyFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


# ------------------------------------------------------------------ shapes


class ReviewItemSummary(BaseModel):
    id: int
    pharmacy_id: int
    patient_id: int | None
    patient_external_id: str | None
    kind: ReviewKind
    status: str
    flagged: bool
    summary: str = Field(description="A plain sentence for staff; no patient-written text.")
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str | None


class AnswerShown(BaseModel):
    question: str = Field(description="The question in English, as asked.")
    answer: str = Field(description='The value recorded: "Yes", "No", a day, free text.')
    wrote: str | None = Field(description="The patient's own words it was read from.")
    flagged: bool = Field(description="This answer holds the fill.")
    shown: str = Field(description="\"No — wrote: '...'\": the value beside the words.")


class ReviewItemDetail(ReviewItemSummary):
    answers: dict[str, Any] = Field(description="The check-in answers, by question id.")
    words: dict[str, str] = Field(
        description="The patient's own words behind each answer, by question id."
    )
    answer_lines: list[AnswerShown] = Field(
        description="Each answer in English beside the patient's words, in the order asked "
        "(a new enrollment: joining and the pickup day)."
    )
    wrote: list[str] = Field(
        description="What the patient wrote, quoted by a call-back raised after unclear answers."
    )
    flags: list[str]
    check_in_anchor_date: dt.date | None
    message_body: str | None = Field(description="What the patient wrote, when a text opened it.")
    allowed_actions: list[str]


class ReviewItemPage(BaseModel):
    items: list[ReviewItemSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class EnrollmentStatus(BaseModel):
    patient_id: int
    pharmacy_id: int
    external_id: str
    opted_out: bool
    enrollment_status: str | None = Field(description="None when never enrolled.")
    anchor_day: int | None
    cycle: str | None
    next_anchor_date: dt.date | None


class Decision(BaseModel):
    action: Literal["approve", "decline", "called", "done", "opt_out"]
    note: str | None = Field(
        default=None,
        max_length=claiming.MAX_NOTE,
        description="Required to decline (the reason), log a call, or close.",
    )


class DecisionResult(BaseModel):
    item: ReviewItemSummary
    message: str


def _summary(item: ReviewItem, patient: Patient | None) -> ReviewItemSummary:
    return ReviewItemSummary(
        id=item.id,
        pharmacy_id=item.pharmacy_id,
        patient_id=item.patient_id,
        patient_external_id=patient.external_id if patient else None,
        kind=item.kind,
        status=item.status.value,
        flagged=item.priority == 0,
        summary=item.summary,
        created_at=item.created_at,
        decided_at=item.decided_at,
        decided_by=item.decided_by,
        decision_note=item.decision_note,
    )


def _http(error: InboxError) -> HTTPException:
    status = 400
    if isinstance(error, NotFound):
        status = 404
    elif isinstance(error, NotAllowed):
        status = 403
    elif isinstance(error, AlreadyDecided):
        status = 409
    return HTTPException(status_code=status, detail=str(error))


# ------------------------------------------------------------------ routes


@router.get("/review-items", response_model=ReviewItemPage)
def list_review_items(
    request: Request,
    actor: ItemsReader,
    status: Annotated[
        Literal["pending", "approved", "declined", "done", "all"], Query()
    ] = "pending",
    kind: ReviewKind | None = None,
    pharmacy_id: PharmacyFilter = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReviewItemPage:
    """The queue in its order: pending first, flagged before routine, oldest first."""
    if pharmacy_id is not None and not actor.sees(pharmacy_id):
        raise HTTPException(status_code=404, detail=f"There is no pharmacy #{pharmacy_id}.")
    after = store.Cursor.decode(cursor) if cursor else None
    if cursor and after is None:
        raise HTTPException(status_code=400, detail="That cursor is not one this API gave.")
    with transaction(sessions_of(request)) as session:
        scope = store.QueueFilter(actor.pharmacy_ids, pharmacy_id, kind, status)
        result = store.queue_page(session, scope, limit, after=after)
        patients = store.patients_by_id(
            session, {i.patient_id for i in result.items if i.patient_id is not None}
        )
        items = [
            _summary(i, patients.get(i.patient_id) if i.patient_id else None) for i in result.items
        ]
        shown = {i.pharmacy_id for i in result.items}
        record(
            session,
            actor.audit_name,
            "list_review_items",
            "queue",
            now_of(request),
            after={"items": [i.id for i in result.items], "via": "api"},
            pharmacy_id=shown.pop() if len(shown) == 1 else (pharmacy_id or 0),
            patients=patients,
        )
    return ReviewItemPage(
        items=items, next_cursor=result.next_cursor.encode() if result.next_cursor else None
    )


@router.get("/review-items/{item_id}", response_model=ReviewItemDetail)
def read_review_item(request: Request, item_id: RowId, actor: ItemsReader) -> ReviewItemDetail:
    """One item with the patient's answers (an audited read)."""
    with transaction(sessions_of(request)) as session:
        try:
            item = claiming.item_for(session, actor, item_id)
        except InboxError as error:
            raise _http(error) from None
        patient = session.get(Patient, item.patient_id) if item.patient_id else None
        check_in = session.get(CheckIn, item.check_in_id) if item.check_in_id else None
        message = session.get(Message, item.message_id) if item.message_id else None
        details = item.details or {}
        record(
            session,
            actor.audit_name,
            "view_review_item",
            f"review_item:{item.id}",
            now_of(request),
            after={"patient_id": item.patient_id, "via": "api"},
        )
        lines = item_answers(session, item, check_in, message)
        words = (
            dict(check_in.words or {})
            if check_in
            else (assessment_words(session, item) or dict(details.get("words") or {}))
        )
        return ReviewItemDetail(
            **_summary(item, patient).model_dump(),
            answers=dict(check_in.answers if check_in else details.get("answers") or {}),
            words=words,
            answer_lines=[
                AnswerShown(
                    question=a.question,
                    answer=a.answer,
                    wrote=a.wrote or None,
                    flagged=a.flagged,
                    shown=a.shown,
                )
                for a in lines
            ],
            wrote=quoted(item),
            flags=list(check_in.flags if check_in else details.get("flags") or []),
            check_in_anchor_date=check_in.anchor_date if check_in else None,
            message_body=message.body if message else None,
            allowed_actions=[a for a in claiming.actions_for(item) if a in decisions.DECISIONS],
        )


@router.post(
    "/review-items/{item_id}/decision",
    response_model=DecisionResult,
    responses={409: {"description": "Already decided: the detail says by whom and when."}},
)
def decide_review_item(
    request: Request, item_id: RowId, decision: Decision, actor: Decider
) -> DecisionResult:
    """Approve, decline (with a reason), log a call, close, or confirm an opt-out; once."""
    settings = settings_of(request)
    now = now_of(request)
    try:
        with transaction(sessions_of(request)) as session:
            item = claiming.item_for(session, actor, item_id)
            pharmacy = session.get(Pharmacy, item.pharmacy_id)
            assert pharmacy is not None
            today = local_date(clock_of(request), pharmacy.timezone)
            outcome = decisions.decide(
                session,
                actor,
                item_id,
                decision.action,
                decision.note,
                now,
                today,
                settings.preparation_days,
            )
            patient = session.get(Patient, item.patient_id) if item.patient_id else None
            result = DecisionResult(item=_summary(item, patient), message=outcome.message)
    except InboxError as error:
        raise _http(error) from None
    except IntegrityError:
        raise _http(AlreadyDecided("This was already done.")) from None
    send_after_commit(request, outcome.send)
    return result


@router.get("/patients", response_model=list[EnrollmentStatus])
def find_patients(
    request: Request,
    actor: PatientsReader,
    external_id: Annotated[str, Query(min_length=1, max_length=64)],
    pharmacy_id: PharmacyFilter = None,
) -> list[EnrollmentStatus]:
    """Patients by the pharmacy system's patient id, with their enrollment status."""
    if pharmacy_id is not None and not actor.sees(pharmacy_id):
        raise HTTPException(status_code=404, detail=f"There is no pharmacy #{pharmacy_id}.")
    with transaction(sessions_of(request)) as session:
        query = select(Patient).where(Patient.external_id == external_id.replace("\x00", ""))
        if pharmacy_id is not None:
            query = query.where(Patient.pharmacy_id == pharmacy_id)
        if actor.pharmacy_ids is not None:
            query = query.where(Patient.pharmacy_id.in_(list(actor.pharmacy_ids)))
        found = list(session.scalars(query.order_by(Patient.pharmacy_id)))
        return [_enrollment(session, actor, p, now_of(request)) for p in found]


@router.get("/patients/{patient_id}", response_model=EnrollmentStatus)
def read_patient(request: Request, patient_id: RowId, actor: PatientsReader) -> EnrollmentStatus:
    """A patient's enrollment status: pickup day, next pickup, opted out or not."""
    with transaction(sessions_of(request)) as session:
        try:
            patient = claiming.patient_for(session, actor, patient_id)
        except InboxError as error:
            raise _http(error) from None
        return _enrollment(session, actor, patient, now_of(request))


def _enrollment(
    session: Session, actor: Actor, patient: Patient, now: dt.datetime
) -> EnrollmentStatus:
    enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id)
    record(
        session,
        actor.audit_name,
        "view_enrollment",
        f"patient:{patient.id}",
        now,
        after={"via": "api"},
    )
    return EnrollmentStatus(
        patient_id=patient.id,
        pharmacy_id=patient.pharmacy_id,
        external_id=patient.external_id,
        opted_out=patient.opted_out,
        enrollment_status=enrollment.status.value if enrollment else None,
        anchor_day=enrollment.anchor_day if enrollment else None,
        cycle=enrollment.cycle if enrollment else None,
        next_anchor_date=enrollment.next_anchor_date if enrollment else None,
    )
