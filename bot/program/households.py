"""Households: patients who share an address or a phone, linked to pick up together.

Staff link and unlink them (`medsync household`, the inbox's patient page), audited; a
patient on a shared phone may say yes to picking up with the others there, which is their
consent (store/models.py ConsentKind.HOUSEHOLD_JOINED) and links them here.

A household shares one anchor day (docs/SYNC_PLAN.md, "Households"): a member who comes to
choose a day is offered the day the others already have; when nobody has one yet, the
recommendation runs over every member's medicines together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from scourgify import normalize_address_record
from scourgify.exceptions import AddressNormalizationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.program.plans import Proposal, medication, program_settings, proposal
from dialogs import prompts
from dialogs.context import PatientFacts
from dialogs.plan.model import PlanError
from dialogs.plan.plan import build_plan
from dialogs.turn import Say
from store import queries
from store.audit import record
from store.households import Household, HouseholdMember
from store.models import ConsentEvent, ConsentKind, Enrollment, EnrollmentStatus, Patient

# Enrollments whose pickup day is chosen: the household's day comes from these.
CHOSEN = (EnrollmentStatus.PENDING_REVIEW, EnrollmentStatus.ACTIVE)
CHOOSING = (None, "consented", "declined", "disenrolled")


class HouseholdError(Exception):
    """A plain sentence for staff: why the household could not be changed."""


def household_of(session: Session, patient_id: int) -> Household | None:
    member = session.scalar(select(HouseholdMember).where(HouseholdMember.patient_id == patient_id))
    return member.household if member is not None else None


def _households_of(session: Session, patient_ids: Sequence[int]) -> dict[int, int]:
    """patient id -> household id, for those of these patients who are in one."""
    rows = session.execute(
        select(HouseholdMember.patient_id, HouseholdMember.household_id).where(
            HouseholdMember.patient_id.in_(patient_ids)
        )
    )
    return {patient_id: household_id for patient_id, household_id in rows}


def members(session: Session, patient: Patient) -> list[Patient]:
    """Everyone in the patient's household, the patient included, in joining order
    (empty when the patient is in none)."""
    household = household_of(session, patient.id)
    return [m.patient for m in household.members] if household is not None else []


def _names(patients: Iterable[Patient]) -> list[str]:
    return [p.external_id for p in patients]


def link(session: Session, patients: Sequence[Patient], actor: str, now: dt.datetime) -> Household:
    """Put these patients (two or more, of one pharmacy) in one household: a new one, or the
    one some of them are in already. Audited."""
    unique = list({p.id: p for p in patients}.values())
    if len(unique) < 2:
        raise HouseholdError("A household needs two or more different patients.")
    if len({p.pharmacy_id for p in unique}) > 1:
        raise HouseholdError("Patients of different pharmacies cannot share a household.")
    current = {p.id: household_of(session, p.id) for p in unique}
    households = {h.id: h for h in current.values() if h is not None}
    if len(households) > 1:
        raise HouseholdError(
            "These patients are in different households already: unlink "
            + " or ".join(sorted(p.external_id for p in unique if current[p.id] is not None))
            + " first."
        )
    household = next(iter(households.values()), None)
    before = _names(m.patient for m in household.members) if household else []
    if household is None:
        household = Household(pharmacy_id=unique[0].pharmacy_id, created_at=now)
        session.add(household)
        session.flush()
    added = [p for p in unique if current[p.id] is None]
    for patient in added:
        session.add(
            HouseholdMember(
                household_id=household.id, patient_id=patient.id, added_by=actor, joined_at=now
            )
        )
    session.flush()
    session.refresh(household)
    if added:
        record(
            session,
            actor,
            "household.link",
            f"household:{household.id}",
            now,
            before={"members": before},
            after={"members": _names(m.patient for m in household.members)},
        )
    return household


def unlink(session: Session, patient: Patient, actor: str, now: dt.datetime) -> list[Patient]:
    """Take the patient out of their household; a household left with one member is
    dissolved. Returns who remains together. Audited."""
    household = household_of(session, patient.id)
    if household is None:
        raise HouseholdError(f"Patient {patient.external_id} is not in a household.")
    before = _names(m.patient for m in household.members)
    remaining = [m for m in household.members if m.patient_id != patient.id]
    leaving = [m for m in household.members if m.patient_id == patient.id]
    if len(remaining) < 2:
        leaving += remaining
        remaining = []
    for member in leaving:
        session.delete(member)
    session.flush()
    if not remaining:
        session.delete(household)
        session.flush()
    record(
        session,
        actor,
        "household.unlink",
        f"household:{household.id}",
        now,
        before={"members": before},
        after={"members": _names(m.patient for m in remaining)},
    )
    return [m.patient for m in remaining]


# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Suggestion:
    reason: str  # "same phone +16145550177", "same address 12 ELM RD, COLUMBUS, OH 43215"
    patients: tuple[Patient, ...]


def address_key(address: str | None) -> str | None:
    """The address as USPS Pub 28 writes it ("123 Main Street" and "123 MAIN ST" match),
    or squeezed text when it cannot be parsed as a US address; None when blank."""
    if address is None or not address.strip():
        return None
    try:
        parts = normalize_address_record(address)
    except (AddressNormalizationError, ValueError, TypeError):
        return re.sub(r"[^0-9a-z]+", " ", address.casefold()).strip() or None
    return ", ".join(str(v) for v in parts.values() if v)


def suggest(session: Session, pharmacy_id: int) -> list[Suggestion]:
    """Patients who share a phone or an address and are not all in one household yet."""
    patients = session.scalars(
        select(Patient).where(Patient.pharmacy_id == pharmacy_id).order_by(Patient.external_id)
    ).all()
    household_by_patient = _households_of(session, [p.id for p in patients])
    groups: dict[tuple[str, str], list[Patient]] = defaultdict(list)
    for patient in patients:
        groups["phone", patient.phone].append(patient)
        key = address_key(patient.address)
        if key is not None:
            groups["address", key].append(patient)
    found: list[Suggestion] = []
    seen: set[frozenset[int]] = set()
    for (what, key), together in groups.items():
        ids = frozenset(p.id for p in together)
        if len(together) < 2 or ids in seen:
            continue
        linked = {household_by_patient.get(p.id) for p in together}
        if len(linked) == 1 and None not in linked:
            continue  # all in one household already
        seen.add(ids)
        found.append(Suggestion(f"same {what} {key}", tuple(together)))
    return found


# --------------------------------------------------------------------------- the shared day


def shared_day(session: Session, household: Household, besides: int | None = None) -> int | None:
    """The household's pickup day: the one most members with a chosen day have (ties: the
    earliest joined), not counting patient `besides`."""
    ids = [m.patient_id for m in household.members if m.patient_id != besides]
    enrollments = queries.enrollments_of(session, ids)
    days = [
        e.anchor_day
        for pid in ids
        if (e := enrollments.get(pid)) is not None and e.status in CHOSEN and e.anchor_day
    ]
    if not days:
        return None
    counts = Counter(days)
    return max(days, key=lambda d: (counts[d], -days.index(d)))


def pooled_proposal(patients: Sequence[Patient], today: dt.date) -> Proposal | None:
    """The anchor day recommended over everyone's medicines together (numbers kept apart by
    patient), by the pharmacy's anchor policy; None when no plan can be made that way."""
    meds = [
        replace(medication(rx), rx_number=f"{p.external_id}:{rx.rx_number}")
        for p in patients
        for rx in p.prescriptions
        if rx.active
    ]
    if not meds:
        return None
    try:
        plan = build_plan(meds, today, program_settings(patients[0]))
    except PlanError:
        return None
    return Proposal(True, plan.anchor_day, plan.anchor_reason)


def household_proposal(session: Session, patient: Patient, today: dt.date) -> Proposal:
    """What the day question suggests to this patient: the household's day when someone in it
    has one, else the day for everyone's medicines, else the patient's own plan's."""
    own = proposal(patient, today)
    household = household_of(session, patient.id)
    if household is None or not own.eligible:
        return own
    day = shared_day(session, household, besides=patient.id)
    if day is not None:
        return Proposal(True, day, f"The {day}: the household's pickup day.")
    pooled = pooled_proposal([m.patient for m in household.members], today)
    return pooled or own


def with_households(
    session: Session,
    patients: Sequence[Patient],
    facts: Sequence[PatientFacts],
    today: dt.date,
    known: Callable[[Sequence[int]], dict[int, int]] | None = None,
) -> tuple[PatientFacts, ...]:
    """The dialogs' facts with each patient's household, whether they answered the household
    offer, and the household's day as the suggestion for those about to choose one."""
    # Only what a dialog may use, on the hot path: the offer is made on shared phones only,
    # and the household's day matters only to those about to choose one. A patient alone on
    # their phone with a pickup day (most texts: check-ins) costs no statement at all.
    shared = len(patients) > 1
    choosing = [f.id for f in facts if f.enrollment in CHOOSING and f.eligible]
    if not shared and not choosing:
        return tuple(facts)
    ids = [p.id for p in patients]
    # `known`: the households were read with the patients (store/phone_read.py).
    household_ids = (known or partial(_households_of, session))(ids if shared else choosing)
    answered: set[int] = set()
    if shared:
        answered = set(
            session.scalars(
                select(ConsentEvent.patient_id).where(
                    ConsentEvent.patient_id.in_(ids),
                    ConsentEvent.kind.in_(
                        [ConsentKind.HOUSEHOLD_JOINED, ConsentKind.HOUSEHOLD_DECLINED]
                    ),
                )
            )
        )
    by_id = {p.id: p for p in patients}
    out: list[PatientFacts] = []
    for fact in facts:
        household = household_ids.get(fact.id)
        fact = replace(fact, household=household, household_asked=fact.id in answered)
        if household is not None and fact.enrollment in CHOOSING and fact.eligible:
            offer = household_proposal(session, by_id[fact.id], today)
            fact = replace(fact, proposed_anchor_day=offer.day)
        out.append(fact)
    return tuple(out)


def join_on_phone(
    session: Session, patient: Patient, on_phone: Sequence[Patient], now: dt.datetime
) -> Household | None:
    """The patient said yes to picking up with the others on this phone who have a pickup
    day (as dialogs/household.py offered): link them."""
    others = [p for p in on_phone if p.id != patient.id and not p.opted_out]
    enrollments = queries.enrollments_of(session, [p.id for p in others])
    partners = [
        p
        for p in others
        if (e := enrollments.get(p.id)) is not None and e.status in CHOSEN and e.anchor_day
    ]
    if not partners:
        return None
    theirs = household_of(session, patient.id)
    if theirs is None:
        # Join the household a partner is in already, with the partners in none.
        joined = [h for p in partners if (h := household_of(session, p.id)) is not None]
        if joined:
            partners = [p for p in partners if household_of(session, p.id) in (None, joined[0])]
    try:
        return link(session, [patient, *partners], f"patient:{patient.external_id}", now)
    except HouseholdError:
        return None  # already in another household: staff see the consent on the page


def sync_status(enrollment: Enrollment | None) -> str:
    """A member's sync status in a few words, for staff."""
    if enrollment is None:
        return "not enrolled"
    status = enrollment.status.value.replace("_", " ")
    if enrollment.anchor_day:
        status += f", day {enrollment.anchor_day}"
    if enrollment.next_anchor_date and enrollment.status in CHOSEN:
        status += f", next pickup {enrollment.next_anchor_date:%b %d, %Y}"
    return status


def reminder_naming(session: Session, patient: Patient, say: Say) -> Say:
    """A pickup reminder to a phone several patients share says whose it is, by first name
    only (never the last name: whoever reads the phone may not be the patient); the renewal
    and the delivery reminders stay what they are (bot/program/renewals.py)."""
    if len(queries.patients_with_phone(session, patient.pharmacy_id, patient.phone)) < 2:
        return say
    named = _NAMED_REMINDERS.get(say.msgid, prompts.PICKUP_REMINDER_FOR)
    return Say(named, {**say.params, "first_name": patient.first_name})


# Each pickup reminder (bot/program/renewals.py) -> the same to a phone several patients share.
_NAMED_REMINDERS = {
    prompts.PICKUP_REMINDER: prompts.PICKUP_REMINDER_FOR,
    prompts.PICKUP_REMINDER_RENEWAL: prompts.PICKUP_REMINDER_FOR_RENEWAL,
    prompts.PICKUP_REMINDER_DELIVERY: prompts.PICKUP_REMINDER_FOR_DELIVERY,
    prompts.PICKUP_REMINDER_DELIVERY_RENEWAL: prompts.PICKUP_REMINDER_FOR_DELIVERY_RENEWAL,
}
