"""Services at pickup: which of a pharmacy's offers (a flu or shingles shot, a blood pressure
check, a medication review) is due for a patient's check-in, by the simple rules in the
pharmacy's services file (TOML, stored on the pharmacy; `medsync pharmacy services`).

    [[service]]
    id = "flu_shot"              # names the offer in the store; the kind by default
    kind = "flu_shot"            # flu_shot, shingles_shot, blood_pressure_check, medication_review
    min_age = 50                 # at the pickup (a patient without a birth date is not offered)
    max_age = 120
    months = [9, 10, 11, 12, 1]  # the season: months of the pickup
    therapy_classes = ["diabetes", "statins"]  # takes any of these (therapy_classes.toml)
    every_days = 300             # not offered again within this many days (default 365)
    with = "check_in"            # asked with the check-in's all clear (default) or "reminder"

The first service of the file whose rules hold is offered, once per cycle, in the same text as
the check-in's "you're all set" or the pickup reminder: an offer never adds a text of its own,
so sending caps and quiet hours are those of that text. The question names the service, never
a condition. A patient reminded by phone (a landline, or calls asked for) hears the same
question in the reminder call, answered with a key or a word: it adds no call either, and it
is made to the patient's own phone only (`offer_with_reminder`, for the text and the call).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.program.therapy_classes import classify, therapy_classes
from dialogs import services as service_dialog
from dialogs.state import load
from dialogs.turn import Ask
from store.models import Conversation, Patient, Pharmacy
from store.worklist import ServiceOffer

KINDS = ("flu_shot", "shingles_shot", "blood_pressure_check", "medication_review")
KEYS = {"id", "kind", "min_age", "max_age", "months", "therapy_classes", "every_days", "with"}
MOMENTS = ("check_in", "reminder")  # asked with the check-in's all clear, or the reminder


class ServicesError(ValueError):
    """The services file cannot be used: the sentence says where and why."""


@dataclass(frozen=True)
class Service:
    id: str
    kind: str
    min_age: int | None = None
    max_age: int | None = None
    months: frozenset[int] = frozenset()
    therapy_classes: frozenset[str] = frozenset()
    every_days: int = 365
    moment: str = "check_in"  # the file's `with`: check_in or reminder

    def describe(self) -> str:
        rules = [f"with the {self.moment.replace('_', '-')}"]
        if self.min_age is not None or self.max_age is not None:
            rules.append(f"ages {self.min_age or 0}-{self.max_age or 'any'}")
        if self.months:
            rules.append("months " + ", ".join(str(m) for m in sorted(self.months)))
        if self.therapy_classes:
            rules.append("takes " + " or ".join(sorted(self.therapy_classes)))
        rules.append(f"not again within {self.every_days} days")
        return f"{self.id} ({self.kind}): " + "; ".join(rules)


def parse(text: str) -> tuple[Service, ...]:
    """The services of a file; ServicesError with a sentence when it cannot be used."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ServicesError(f"The services file is not valid TOML: {error}.") from None
    unknown = sorted(set(raw) - {"service"})
    if unknown:
        raise ServicesError(f"The services file has {', '.join(unknown)}; only [[service]].")
    entries = raw.get("service", [])
    if not isinstance(entries, list):
        raise ServicesError("Write each service as a [[service]] table.")
    known_classes = {c.name for c in therapy_classes()}
    found: list[Service] = []
    for n, entry in enumerate(entries, start=1):
        found.append(_service(n, entry, known_classes))
    ids = [s.id for s in found]
    if len(set(ids)) != len(ids):
        raise ServicesError("Two services have the same id; give each its own.")
    return tuple(found)


def _service(n: int, entry: dict[str, Any], known_classes: set[str]) -> Service:
    where = f"Service {n}"
    problems: list[str] = []
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        problems.append(f"unknown setting {', '.join(unknown)}")
    kind = entry.get("kind")
    if kind not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    ages = [entry.get("min_age"), entry.get("max_age")]
    if any(a is not None and (not isinstance(a, int) or not 0 <= a <= 130) for a in ages):
        problems.append("ages are whole years 0-130")
    months = entry.get("months", [])
    if not isinstance(months, list) or any(
        not isinstance(m, int) or not 1 <= m <= 12 for m in months
    ):
        problems.append("months are numbers 1-12")
    classes = entry.get("therapy_classes", [])
    if not isinstance(classes, list) or any(c not in known_classes for c in classes):
        problems.append(f"therapy_classes are among {', '.join(sorted(known_classes))}")
    every = entry.get("every_days", 365)
    if not isinstance(every, int) or every < 1:
        problems.append("every_days is a whole number of days, at least 1")
    moment = entry.get("with", "check_in")
    if moment not in MOMENTS:
        problems.append(f"with is check_in or reminder (got {moment!r})")
    service_id = entry.get("id", kind)
    if not isinstance(service_id, str) or not service_id.strip() or len(service_id) > 64:
        problems.append("id is a short name")
    if problems:
        raise ServicesError(f"{where}: " + "; ".join(problems) + ".")
    return Service(
        id=str(service_id).strip(),
        kind=str(kind),
        min_age=ages[0],
        max_age=ages[1],
        months=frozenset(months),
        therapy_classes=frozenset(classes),
        every_days=every,
        moment=str(moment),
    )


def services_of(pharmacy: Pharmacy) -> tuple[Service, ...]:
    if not pharmacy.services:
        return ()
    try:
        return parse(pharmacy.services)
    except ServicesError:
        return ()  # only `medsync pharmacy services` writes it, and it checks


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def holds(service: Service, patient: Patient, anchor: dt.date) -> bool:
    """Whether the service's own rules hold for this patient at this pickup."""
    if service.min_age is not None or service.max_age is not None:
        if patient.birth_date is None:
            return False
        age = _age(patient.birth_date, anchor)
        if service.min_age is not None and age < service.min_age:
            return False
        if service.max_age is not None and age > service.max_age:
            return False
    if service.months and anchor.month not in service.months:
        return False
    if service.therapy_classes:
        taken = {
            m.therapy_class
            for rx in patient.prescriptions
            if rx.active
            for m in classify(rx.drug_name)
        }
        if not taken & service.therapy_classes:
            return False
    return True


def due_offer(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    anchor: dt.date,
    now: dt.datetime,
    moment: str = "check_in",
) -> tuple[str, str] | None:
    """(service id, kind) of the first service to offer at this cycle's check-in (or with its
    reminder), or None."""
    offered = [s for s in services_of(pharmacy) if s.moment == moment and holds(s, patient, anchor)]
    if not offered:
        return None
    past = session.execute(
        select(ServiceOffer.service, ServiceOffer.anchor_date, ServiceOffer.offered_at).where(
            ServiceOffer.patient_id == patient.id
        )
    ).all()
    for service in offered:
        recent = any(
            name == service.id
            and (when == anchor or now - at < dt.timedelta(days=service.every_days))
            for name, when, at in past
        )
        if not recent:
            return service.id, service.kind
    return None


def record_offer(
    session: Session,
    patient_id: int,
    service: str,
    anchor_date: dt.date,
    status: str,
    now: dt.datetime,
    pharmacy: Pharmacy,
) -> None:
    """The offer made (status "offered"), or the patient's answer to it."""
    row = session.scalar(
        select(ServiceOffer).where(
            ServiceOffer.patient_id == patient_id,
            ServiceOffer.service == service,
            ServiceOffer.anchor_date == anchor_date,
        )
    )
    if row is None:
        kind = next((s.kind for s in services_of(pharmacy) if s.id == service), service)
        session.add(
            ServiceOffer(
                patient_id=patient_id,
                service=service,
                kind=kind,
                anchor_date=anchor_date,
                status=status,
                offered_at=now,
                answered_at=None if status == "offered" else now,
            )
        )
        return
    row.status = status
    if status != "offered":
        row.answered_at = now


def accepted_for(
    session: Session, patient_ids: list[int], anchors: list[dt.date]
) -> dict[tuple[int, dt.date], list[str]]:
    """The kinds of service each patient accepted for each of these pickups."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(ServiceOffer.patient_id, ServiceOffer.anchor_date, ServiceOffer.kind).where(
            ServiceOffer.patient_id.in_(patient_ids),
            ServiceOffer.anchor_date.in_(sorted(set(anchors))),
            ServiceOffer.status == "accepted",
        )
    ).all()
    found: dict[tuple[int, dt.date], list[str]] = {}
    for patient_id, anchor, kind in rows:
        found.setdefault((patient_id, anchor), []).append(kind)
    return found


def offer_with_reminder(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    conversation: Conversation,
    anchor: dt.date,
    pickup: dt.date,
    now: dt.datetime,
) -> Ask | None:
    """The question of a service the pharmacy offers with the pickup reminder (text or call),
    when one is due and the patient's own conversation is not waiting for another answer:
    the offer is recorded and the conversation waits for the YES or NO. `pickup` is the day the
    patient really comes. The caller asks only on the patient's own phone."""
    if not pharmacy.services or conversation.phone != patient.phone:
        return None
    if load(conversation.state or {}).dialog is not None:
        return None
    due = due_offer(session, pharmacy, patient, anchor, now, moment="reminder")
    if due is None or due[1] not in service_dialog.QUESTIONS:
        return None
    service, kind = due
    record_offer(session, patient.id, service, anchor, "offered", now, pharmacy)
    conversation.state = service_dialog.waiting(patient.id, service, kind, anchor).to_json()
    conversation.updated_at = now
    return service_dialog.question(kind, pickup)
