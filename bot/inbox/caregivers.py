"""The patient page's caregiver forms: staff record the patient's permission for a
caregiver's phone, or take it back. Each change is a consent event and an audit row; the
caregiver's first text is sent after the commit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import claiming
from bot.inbox.auth import CurrentActor
from bot.inbox.claiming import NotFound
from bot.inbox.csrf import CsrfChecked
from bot.inbox.policy import Permission, refusal
from bot.inbox.web import flash, now_of, page, refused, see_other, sessions_of
from bot.program import caregivers
from bot.program.caregivers import CaregiverError
from dialogs.caregiver import display
from store import caregivers as store
from store.audit import record
from store.db import transaction
from store.models import Channel, Pharmacy

router = APIRouter(include_in_schema=False)

MAX_PERMISSION = 500
# The notice after the form rides in the readable session cookie: no names, no numbers.
ADDED = "Caregiver added: that number gets this patient's texts now, and a first text says so."
ALREADY = "Nothing changed: that number is already this patient's caregiver."
REMOVED = "Caregiver removed: that number no longer gets this patient's texts."
NOT_ONE = "Nothing changed: that number was not this patient's caregiver."


def rows(session: Session, patient_id: int) -> dict[str, Any]:
    """What the patient page shows: the standing caregivers and every grant and withdrawal."""
    return {
        "standing": [
            {"id": c.id, "phone": display(c.phone), "name": c.name}
            for c in store.caregivers_of(session, patient_id)
        ],
        "history": [
            {
                "phone": display(c.phone),
                "granted": e.kind == store.GRANTED,
                "wording": e.wording,
                "by": by,
                "at": e.created_at,
            }
            for c, e, by in store.history(session, patient_id)
        ],
    }


def _not_found(request: Request, actor: Any, missing: NotFound) -> Response:
    return page(
        request,
        "message.html",
        {"title": "Not found", "staff": actor, "heading": "Not found", "text": str(missing)},
        status_code=404,
    )


@router.post("/patients/{patient_id}/caregivers")
def add_caregiver(
    request: Request,
    patient_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    phone: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    permission: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    try:
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            why = refusal(actor.role, Permission.ADD_CAREGIVER)
            if why is not None:
                return refused(request, actor, why)
            pharmacy = session.get(Pharmacy, patient.pharmacy_id)
            assert pharmacy is not None
            if len(permission) > MAX_PERMISSION:
                raise CaregiverError(f"Keep the permission under {MAX_PERMISSION} characters.")
            number = caregivers.e164(phone) if phone.strip() else ""
            if not number:
                raise CaregiverError("Give the caregiver's mobile number.")
            change = caregivers.add(
                session, pharmacy, patient, number, name, permission,
                f"staff:{actor.audit_name}", Channel.STAFF, now,
            )  # fmt: skip
            if change.send:
                record(
                    session,
                    actor.audit_name,
                    "caregiver_add",
                    f"patient:{patient.id}",
                    now,
                    after={"phone": number, "name": name.strip(), "permission": permission},
                )
    except NotFound as missing:
        return _not_found(request, actor, missing)
    except CaregiverError as problem:
        flash(request, "error", str(problem))
        return see_other(f"/patients/{patient_id}")
    except IntegrityError:
        flash(request, "error", "This was already done.")
        return see_other(f"/patients/{patient_id}")
    claiming.send_after_commit(request, change.send)
    flash(request, "ok", ADDED if change.send else ALREADY)
    return see_other(f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/caregivers/{caregiver_id}/remove")
def remove_caregiver(
    request: Request,
    patient_id: int,
    caregiver_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    reason: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    try:
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            why = refusal(actor.role, Permission.REMOVE_CAREGIVER)
            if why is not None:
                return refused(request, actor, why)
            pharmacy = session.get(Pharmacy, patient.pharmacy_id)
            assert pharmacy is not None
            caregiver = session.get(store.Caregiver, caregiver_id)
            if caregiver is None or caregiver.patient_id != patient.id:
                raise NotFound(f"There is no caregiver #{caregiver_id} for this patient.")
            why = reason.strip()[:MAX_PERMISSION] or "removed by staff"
            standing = store.is_active(session, caregiver)
            caregivers.remove(
                session, pharmacy, patient, caregiver.phone, why,
                f"staff:{actor.audit_name}", Channel.STAFF, now,
            )  # fmt: skip
            if standing:
                record(
                    session,
                    actor.audit_name,
                    "caregiver_remove",
                    f"patient:{patient.id}",
                    now,
                    before={"phone": caregiver.phone},
                    after={"reason": why},
                )
    except NotFound as missing:
        return _not_found(request, actor, missing)
    flash(request, "ok", REMOVED if standing else NOT_ONE)
    return see_other(f"/patients/{patient_id}")
