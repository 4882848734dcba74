"""A patient's page: medicines and the sync plan, enrollment and pickup day, consents and
opt-outs, check-ins, messages, and the review items and decisions about them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bot.inbox import claiming, day_change, display
from bot.inbox.answers import answer_lines
from bot.inbox.auth import CurrentActor
from bot.inbox.caregivers import rows as caregiver_rows
from bot.inbox.claiming import InboxError, NotAllowed, NotFound
from bot.inbox.csrf import CsrfChecked
from bot.inbox.history import history_lines
from bot.inbox.households import shown as households_shown
from bot.inbox.households import view as household_view
from bot.inbox.plan_view import plan_view
from bot.inbox.policy import Permission, refusal
from bot.inbox.web import (
    flash,
    now_of,
    page,
    refused,
    see_other,
    sessions_of,
    settings_of,
    today_at,
)
from bot.languages.patient_language import origin as language_origin
from bot.program import pickups
from bot.program import preferences as patient_preferences
from bot.program.open_days import next_pickup
from store import inbox as store
from store import queries
from store.audit import record
from store.db import transaction
from store.models import Pharmacy, ReviewKind
from store.preferences import changes_of

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}")
def show_patient(request: Request, patient_id: int, actor: CurrentActor) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            pharmacy = session.get(Pharmacy, patient.pharmacy_id)
            assert pharmacy is not None
            today = today_at(request, pharmacy.timezone)
            enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id)
            items = list(store.items_of_patient(session, patient.id))
            check_ins = [
                (c, answer_lines(c.answers, c.flags, c.definition, c.anchor_date, c.words))
                for c in store.check_ins_of(session, patient.id)
            ]
            subjects = [f"patient:{patient.id}"] + [f"review_item:{i.id}" for i in items]
            subjects += [f"prescription:{rx.id}" for rx in patient.prescriptions]
            household = household_view(session, patient)
            context = {
                "title": f"{patient.first_name} {patient.last_name}",
                "staff": actor,
                "patient": patient,
                "pharmacy": pharmacy,
                "language": language_origin(patient, pharmacy),
                "age": display.age(patient.birth_date, today),
                "enrollment": enrollment,
                "next_pickup": next_pickup(
                    pharmacy, enrollment.next_anchor_date if enrollment else None, today
                ),
                "enrollment_words": display.enrollment_words(
                    enrollment.status.value if enrollment else None,
                    next(
                        (i.status.value for i in items if i.kind == ReviewKind.NEW_ENROLLMENT),
                        None,
                    ),
                ),
                "prescriptions": list(patient.prescriptions),
                "pickup_cycles": pickups.cycles_of(session, patient.id),
                "plan": plan_view(patient, today, enrollment.anchor_day if enrollment else None),
                "consents": list(store.consents_of(session, patient.id)),
                "caregivers": caregiver_rows(session, patient.id),
                "preferences": patient_preferences.of(session, patient),
                "household": household,
                "preference_changes": changes_of(session, patient.id)[:10],
                "check_ins": check_ins,
                "thread": store.thread(session, patient.pharmacy_id, patient.phone),
                "items": items,
                "history": history_lines(list(store.audit_of(session, subjects))),
                "may_decide": actor.may_decide,
                "today": today,
            }
            record(
                session,
                actor.audit_name,
                "view_patient",
                f"patient:{patient.id}",
                now_of(request),
                patients=households_shown(household),
            )
    except NotFound as missing:
        return page(
            request,
            "message.html",
            {"title": "Not found", "staff": actor, "heading": "Not found", "text": str(missing)},
            status_code=404,
        )
    return page(request, "patient.html", context)


@router.post("/patients/{patient_id}/anchor-day")
def change_anchor_day(
    request: Request,
    patient_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    day: Annotated[str, Form()] = "",
) -> Response:
    preparation = settings_of(request).preparation_days
    try:
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            pharmacy = session.get(Pharmacy, patient.pharmacy_id)
            assert pharmacy is not None
            value = day.strip()
            if not value.isdigit() or len(value) > 3:
                raise claiming.BadRequest(
                    "Choose a pickup day from 1 to 28, so it comes every month."
                )
            outcome = day_change.set_anchor_day(
                session,
                actor,
                patient.id,
                int(value),
                now_of(request),
                today_at(request, pharmacy.timezone),
                preparation,
            )
    except NotFound as missing:
        return page(
            request,
            "message.html",
            {"title": "Not found", "staff": actor, "heading": "Not found", "text": str(missing)},
            status_code=404,
        )
    except NotAllowed as no:
        return refused(request, actor, str(no))
    except InboxError as problem:
        flash(request, "error", str(problem))
        return see_other(f"/patients/{patient_id}")
    flash(request, "ok", outcome.message)
    return see_other(f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/preferences")
def change_preferences(
    request: Request,
    patient_id: int,
    actor: CurrentActor,
    _: CsrfChecked,
    delivery: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    time: Annotated[str, Form()] = "",
    detailed: Annotated[str, Form()] = "",
) -> Response:
    """Staff set a patient's preferences (on the patient's word, by phone or at the counter);
    a blank field is left as it is. Audited."""
    now = now_of(request)
    chosen = {"delivery": delivery, "channel": channel, "time": time, "detailed": detailed}
    try:
        wanted = [
            (name, patient_preferences.parse(name, raw))
            for name, raw in chosen.items()
            if raw.strip()
        ]
        needed = [Permission.CHANGE_PREFERENCES]
        if ("detailed", "yes") in wanted:  # drug names in texts: a pharmacist's call
            needed.append(Permission.DETAILED_MESSAGES_ON)
        with transaction(sessions_of(request)) as session:
            patient = claiming.patient_for(session, actor, patient_id)
            why = next(filter(None, (refusal(actor.role, p) for p in needed)), None)
            if why is not None:
                return refused(request, actor, why)
            before = patient_preferences.of(session, patient).as_dict()
            changed = [
                name
                for name, value in wanted
                if patient_preferences.change(
                    session, patient, name, value, "staff", now, changed_by=actor.audit_name
                )
            ]
            after = patient_preferences.of(session, patient).as_dict()
            if changed:
                record(
                    session,
                    actor.audit_name,
                    "patient.preferences",
                    f"patient:{patient.id}",
                    now,
                    before={n: before[n] for n in changed},
                    after={n: after[n] for n in changed},
                )
    except NotFound as missing:
        return page(
            request,
            "message.html",
            {"title": "Not found", "staff": actor, "heading": "Not found", "text": str(missing)},
            status_code=404,
        )
    except patient_preferences.PreferenceError as problem:
        flash(request, "error", str(problem))
        return see_other(f"/patients/{patient_id}")
    if changed:
        flash(request, "ok", f"Preferences saved: {', '.join(changed)} changed.")
    else:
        flash(request, "ok", "Nothing changed: those were the preferences already.")
    return see_other(f"/patients/{patient_id}")
