"""The household on a patient's page and beside a review item: the members and their sync
status, their open review items, and (for pharmacists) a form to link or unlink."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import claiming
from bot.inbox.auth import CurrentActor
from bot.inbox.claiming import NotFound
from bot.inbox.csrf import CsrfChecked
from bot.inbox.policy import Permission, refusal
from bot.inbox.web import flash, now_of, page, refused, see_other, sessions_of
from bot.program import households
from store import queries
from store.db import transaction
from store.models import CheckIn, Patient, ReviewItem, ReviewStatus

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Member:
    patient: Patient
    status: str  # "active, day 15, next pickup Dec 15, 2026"
    check_in: CheckIn | None  # the latest
    open_items: list[ReviewItem]
    is_self: bool


@dataclass(frozen=True)
class HouseholdView:
    members: list[Member] = field(default_factory=list)
    # the members with a chosen day do not share it (a pharmacist should align them)
    days_differ: bool = False
    # (patient, why) not in this household, sharing the phone or the address
    candidates: list[tuple[Patient, str]] = field(default_factory=list)


def _latest_check_in(session: Session, patient_id: int) -> CheckIn | None:
    return session.scalar(
        select(CheckIn)
        .where(CheckIn.patient_id == patient_id)
        .order_by(CheckIn.anchor_date.desc())
        .limit(1)
    )


def _open_items(session: Session, patient_id: int) -> list[ReviewItem]:
    return list(
        session.scalars(
            select(ReviewItem)
            .where(ReviewItem.patient_id == patient_id, ReviewItem.status == ReviewStatus.PENDING)
            .order_by(ReviewItem.priority, ReviewItem.created_at)
            .limit(10)
        )
    )


def shown(view: HouseholdView | None) -> list[int]:
    """Every patient the household box shows (members and possible members): the audit row
    of the page names them all."""
    if view is None:
        return []
    return [m.patient.id for m in view.members] + [p.id for p, _ in view.candidates]


def candidates(session: Session, patient: Patient) -> list[tuple[Patient, str]]:
    """Others at the pharmacy on the same phone or at the same address, not linked to them."""
    linked = {p.id for p in households.members(session, patient)} | {patient.id}
    found: dict[int, tuple[Patient, str]] = {}
    for other in queries.patients_with_phone(session, patient.pharmacy_id, patient.phone):
        if other.id not in linked:
            found[other.id] = (other, "same phone")
    key = households.address_key(patient.address)
    if key is not None and patient.address:
        # Only addresses that start alike are parsed: the house number, as written.
        start = patient.address.strip().split()[0]
        near = session.scalars(
            select(Patient).where(
                Patient.pharmacy_id == patient.pharmacy_id,
                func.lower(Patient.address).startswith(start.lower(), autoescape=True),
                Patient.id.not_in(linked),
            )
        )
        for other in near:
            if other.id not in found and households.address_key(other.address) == key:
                found[other.id] = (other, "same address")
    return sorted(found.values(), key=lambda pair: pair[0].external_id)


def view(session: Session, patient: Patient) -> HouseholdView:
    together = households.members(session, patient)
    enrollments = queries.enrollments_of(session, [p.id for p in together])
    members = [
        Member(
            patient=p,
            status=households.sync_status(enrollments.get(p.id)),
            check_in=_latest_check_in(session, p.id),
            open_items=_open_items(session, p.id) if p.id != patient.id else [],
            is_self=p.id == patient.id,
        )
        for p in together
    ]
    days = {
        e.anchor_day
        for e in enrollments.values()
        if e.status in households.CHOSEN and e.anchor_day is not None
    }
    return HouseholdView(members, len(days) > 1, candidates(session, patient))


def _not_found(request: Request, actor: CurrentActor, missing: NotFound) -> Response:
    return page(
        request,
        "message.html",
        {"title": "Not found", "staff": actor, "heading": "Not found", "text": str(missing)},
        status_code=404,
    )


@router.post("/patients/{patient_id}/household/link")
def link(
    request: Request,
    patient_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    other: Annotated[str, Form()] = "",
) -> Response:
    """Link the patient with another (by patient id), as one household. Audited."""
    try:
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            why = refusal(actor.role, Permission.LINK_HOUSEHOLDS)
            if why is not None:
                return refused(request, actor, why)
            wanted = other.strip()
            if not wanted or len(wanted) > 64:
                raise households.HouseholdError("Give the other patient's id, e.g. P1012.")
            partner = queries.patient_by_external_id(session, patient.pharmacy_id, wanted)
            if partner is None:
                raise households.HouseholdError(f"There is no patient {wanted} at this pharmacy.")
            households.link(session, [patient, partner], actor.audit_name, now_of(request))
    except NotFound as missing:
        return _not_found(request, actor, missing)
    except households.HouseholdError as problem:
        flash(request, "error", str(problem))
        return see_other(f"/patients/{patient_id}")
    # The flash rides in the readable session cookie: no names in it (issue 17).
    flash(request, "ok", "Linked as one household: the members are listed below.")
    return see_other(f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/household/unlink")
def unlink(request: Request, patient_id: int, actor: CurrentActor, _: CsrfChecked) -> Response:
    """Take the patient out of their household. Audited."""
    try:
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            why = refusal(actor.role, Permission.LINK_HOUSEHOLDS)
            if why is not None:
                return refused(request, actor, why)
            households.unlink(session, patient, actor.audit_name, now_of(request))
    except NotFound as missing:
        return _not_found(request, actor, missing)
    except households.HouseholdError as problem:
        flash(request, "error", str(problem))
        return see_other(f"/patients/{patient_id}")
    flash(request, "ok", "Taken out of the household.")
    return see_other(f"/patients/{patient_id}")
