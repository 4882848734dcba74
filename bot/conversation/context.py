"""What a dialog may know for one step (its `Context`): today, the pharmacy, every patient on
the phone with their enrollment, preferences, household and plan, the vocabulary, the check-in
definition and the assessments in play."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from bot.conversation.messages import display_phone
from bot.languages import catalogs, serving
from bot.program import assessments, caregivers, households, renewals, services
from bot.program.open_days import open_days_of
from bot.program.plans import FALLBACK_DAY, DayPlans, Proposal, TripPlans, eligible, proposal
from bot.program.preferences import Preferences, cost_estimates
from bot.program.preferences import from_rows as preferences_from
from bot.program.preferences import of_all as preferences_of
from dialogs.assessment_file import check_in_for
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Event
from store import queries
from store.models import Conversation, Enrollment, Patient, Pharmacy
from store.phone_read import PhoneRead


def dialog_context(
    session: Session,
    pharmacy: Pharmacy,
    patients: Sequence[Patient],
    state: State,
    event: Event,
    today: dt.date,
    found: caregivers.PhoneView | None,
    preparation_days: int,
    decline_quiet_days: int,
    staff_thread: int | None = None,
    read: PhoneRead | None = None,
) -> Context:
    # `read`: the inbound path read these with the patients, in one statement (issue 19).
    if read is not None:
        enrollments = read.enrollments
        prefs = preferences_from(read.preferences)
    else:
        enrollments = queries.enrollments_of(session, [p.id for p in patients])
        prefs = preferences_of(session, patients)
    # A patient idle before enrolling gets at most the invitation, which names no day: the
    # recommended day (a ~6 ms plan) is worked out only once a dialog may ask for it.
    waiting = state.dialog is not None
    known = tuple(
        facts(p, enrollments.get(p.id), today, prefs.get(p.id), needs_day=waiting) for p in patients
    )
    known = households.with_households(
        session, patients, known, today, read.households_of if read is not None else None
    )
    subject = subject_of(patients, state)
    language = subject.language if subject else (patients[0].language if patients else "en")
    ctx = Context(
        today=today,
        pharmacy_name=pharmacy.name,
        pharmacy_phone=display_phone(pharmacy.phone),
        patients=known,
        vocab=catalogs.vocabulary_for(language),
        preparation_days=preparation_days,
        decline_quiet_days=decline_quiet_days,
        languages=serving.offered(pharmacy),
        check_in=check_in_for(pharmacy.check_in_definition),
        assessments=assessments.in_play(session, pharmacy.id, state.to_json(), event),
        open_days=open_days_of(pharmacy),
        hours=pharmacy.hours,
        staff_thread=staff_thread,
    )
    if found is not None:
        ctx = caregivers.in_context(found, ctx)
    if state.dialog == "check_in" and subject is not None:
        # Only while a check-in waits for answers: its all-clear finish says "ready" only when
        # no renewal of the pickup is pending, and a service offer may follow it.
        anchor = dt.date.fromisoformat(str(state.data["anchor_date"]))
        renewing = (
            read.renewals.get(subject.id, ())
            if read is not None
            else renewals.pending_anchors(session, subject.id)
        )
        due = (
            services.due_offer(session, pharmacy, subject, anchor, now_of(today))
            if pharmacy.services
            else None
        )
        ctx = replace(
            ctx,
            patients=tuple(
                replace(p, service_offer=due, renewal_pending=renewing) if p.id == subject.id else p
                for p in ctx.patients
            ),
        )
    return ctx


def now_of(today: dt.date) -> dt.datetime:
    """Noon of the pharmacy's day, for "not offered again within N days" (days, not hours)."""
    return dt.datetime(today.year, today.month, today.day, 12, tzinfo=dt.UTC)


def open_staff_thread(conversation: Conversation, now: dt.datetime) -> int | None:
    """The review item whose staff thread is open on this conversation, read from the row the
    runtime has locked already (no statement of its own); None once it has run out."""
    until = conversation.staff_thread_until
    if conversation.staff_thread_item_id is None or until is None or until <= now:
        return None
    return conversation.staff_thread_item_id


def facts(
    patient: Patient,
    enrollment: Enrollment | None,
    today: dt.date,
    prefs: Preferences | None = None,
    needs_day: bool = True,
) -> PatientFacts:
    status = enrollment.status.value if enrollment else None
    # The sync plan is worked out only for patients who may be about to choose a day.
    choosing = status in (None, "consented", "declined", "disenrolled")
    offer: Proposal | None = None
    if choosing and (needs_day or status == "consented"):
        offer = proposal(patient, today)
    elif choosing:
        offer = Proposal(eligible(patient), FALLBACK_DAY, "")
    # Only while the invitation or the pickup day is open: the anchor dialog tells the trips and
    # the cost, and "how much will it cost?" at the invitation gets the suggested day's; each day
    # is planned when (and if) a dialog asks about it, never on other texts.
    plans = DayPlans(patient, today) if choosing else None
    return PatientFacts(
        id=patient.id,
        first_name=patient.first_name,
        language=patient.language,
        birth_year=patient.birth_date.year if patient.birth_date else None,
        opted_out=patient.opted_out,
        enrollment=status,
        anchor_day=enrollment.anchor_day if enrollment else None,
        next_anchor_date=enrollment.next_anchor_date if enrollment else None,
        eligible=offer.eligible if offer else True,
        proposed_anchor_day=offer.day if offer else 15,
        language_confirmed=patient.language_confirmed,
        delivery=prefs.delivery if prefs else None,
        channel=prefs.channel if prefs else None,
        time_of_day=prefs.time_of_day if prefs else None,
        detailed_messages=prefs.detailed if prefs else False,
        preferences_asked=prefs.asked if prefs else False,
        can_text=patient.sms_capable is not False and patient.phone_type != "landline",
        cost_estimates=cost_estimates(patient, today, plans) if plans else {},
        trip_plans=TripPlans(plans) if plans else {},
    )


def subject_of(patients: Sequence[Patient], state: State) -> Patient | None:
    for p in patients:
        if p.id == state.subject:
            return p
    return patients[0] if len(patients) == 1 else None
