"""A generated med sync program with known answers, for the report tests.

`build(session)` writes a pharmacy ("Riverside Pharmacy") and N patients with invitations,
consents, declines, anchors, approvals, check-ins (flags, answer times, decisions), texts
with their statuses, opt-outs and fills, plus a few events outside the period and a second
pharmacy's records that must never show. Everything written is also kept as plain data
(`Program`), so a test can work out each figure itself, without the report code."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from store.fills import Fill
from store.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    ConsentEvent,
    ConsentKind,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    Prescription,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
ZONE = "America/New_York"
FIRST = dt.date(2026, 1, 1)
LAST = dt.date(2026, 11, 29)
PERIOD = {"from": FIRST.isoformat(), "to": LAST.isoformat()}
N = 36
LANGUAGES = ("en", "es", "zh_Hans")
# A staff-typed campaign name that is HTML and a spreadsheet formula at once.
SPRING = "Spring invitations"
FALL = "=Fall <b>drive</b>"
STATUSES = (
    MessageStatus.DELIVERED,
    MessageStatus.DELIVERED,
    MessageStatus.SENT,
    MessageStatus.FAILED,
    MessageStatus.UNDELIVERED,
    MessageStatus.QUEUED,
    MessageStatus.SUPPRESSED,
)
REASONS = {
    "hospital": "hospital stay or ER visit",
    "changes": "new condition, new medicine or a doctor's change",
    "missed_doses": "missed doses",
    "anything_else": "wrote something for the pharmacist",
    "still_coming": "pickup date change",
}
STATIN = "Atorvastatin 40 mg tablet"
ACE = "Lisinopril 10 mg tablet"
_sids = itertools.count(1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A local time at the pharmacy, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(hour), ZoneInfo(ZONE)).astimezone(dt.UTC)


@dataclass
class CheckInSpec:
    opened_at: dt.datetime
    answered_at: dt.datetime | None
    status: CheckInStatus
    flags: tuple[str, ...] = ()
    decision: ReviewStatus | None = None  # for a flagged one: what the pharmacist did
    decided_at: dt.datetime | None = None
    item_created_at: dt.datetime | None = None


@dataclass
class TextSpec:
    created_at: dt.datetime
    status: MessageStatus
    language: str | None
    campaign: str | None = None


@dataclass
class PatientSpec:
    external_id: str
    language: str
    eligible: bool
    invited_at: dt.datetime | None = None
    campaign: str | None = None
    consented_at: dt.datetime | None = None
    declined_at: dt.datetime | None = None
    anchor_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    opted_out_at: dt.datetime | None = None
    check_ins: list[CheckInSpec] = field(default_factory=list)
    texts: list[TextSpec] = field(default_factory=list)
    # therapy-class drug name -> (fill date, days' supply)
    fills: dict[str, list[tuple[dt.date, int]]] = field(default_factory=dict)
    id: int = 0

    @property
    def enrolled_on(self) -> dt.date | None:
        """bot/adherence.py's enrollment date: active patients, their consent's local date."""
        if self.approved_at is None or self.consented_at is None:
            return None
        return self.consented_at.astimezone(ZoneInfo(ZONE)).date()


@dataclass
class Program:
    pharmacy_id: int
    other_pharmacy_id: int
    patients: list[PatientSpec]


def _fills(pattern: str, enrolled_on: dt.date | None) -> list[tuple[dt.date, int]]:
    """steady: 30 days every 30 days (PDC 100%); gappy: 30 days every 90 days (about 33%);
    improved: gappy before the enrollment date, steady from two days after it."""
    steady = [(FIRST + dt.timedelta(days=2 + 30 * k), 30) for k in range(11)]
    gappy = [(FIRST + dt.timedelta(days=2 + 90 * k), 30) for k in range(4)]
    if pattern == "steady":
        return steady
    if pattern == "gappy" or enrolled_on is None:
        return gappy
    after = [(enrolled_on + dt.timedelta(days=2 + 30 * k), 30) for k in range(12)]
    return [f for f in gappy if f[0] < enrolled_on] + [f for f in after if f[0] <= LAST]


def plan_program() -> list[PatientSpec]:
    specs: list[PatientSpec] = []
    for i in range(N):
        p = PatientSpec(f"R{1000 + i}", LANGUAGES[i % 3], eligible=i % 6 != 5)
        if p.eligible and i % 5 != 4:
            p.invited_at = (
                at(dt.date(2025, 11, 20))
                if i == 0
                else at(dt.date(2026, 1, 10) + dt.timedelta(days=7 * i))
            )
            p.campaign = SPRING if p.invited_at < at(dt.date(2026, 6, 1)) else FALL
            status = STATUSES[i % len(STATUSES)]
            p.texts.append(TextSpec(p.invited_at, status, p.language, p.campaign))
            if status in (MessageStatus.DELIVERED, MessageStatus.SENT) and i % 4 != 3:
                p.consented_at = p.invited_at + dt.timedelta(days=2)
            elif i % 2 == 0:
                p.declined_at = p.invited_at + dt.timedelta(days=1)
        elif p.eligible and i % 10 == 9:
            p.consented_at = at(dt.date(2026, 3, 3))  # texted the pharmacy uninvited
        if p.consented_at is not None and i % 7 != 2:
            p.anchor_at = p.consented_at + dt.timedelta(days=1)
            if i % 3 != 2:
                p.approved_at = p.anchor_at + dt.timedelta(hours=20)
        if i % 9 == 8:
            base = p.invited_at or at(dt.date(2026, 4, 1))
            p.opted_out_at = base + dt.timedelta(days=5)
        if p.approved_at is not None:
            _plan_check_ins(p, i)
        if i % 4 == 0:
            pattern = ("steady", "gappy", "improved")[(i // 4) % 3]
            p.fills[STATIN] = _fills(pattern, p.enrolled_on)
            if i % 8 == 0:
                p.fills[ACE] = _fills("steady" if pattern != "steady" else "gappy", p.enrolled_on)
        specs.append(p)
    return specs


def _plan_check_ins(p: PatientSpec, i: int) -> None:
    assert p.approved_at is not None
    opened = p.approved_at + dt.timedelta(days=10)
    k = 0
    while opened < NOW - dt.timedelta(days=1):
        recent = opened > NOW - dt.timedelta(days=20)
        if recent and (i + k) % 2 == 0:
            spec = CheckInSpec(opened, None, CheckInStatus.OPEN)
        elif (i + k) % 5 == 0:
            spec = CheckInSpec(opened, None, CheckInStatus.NO_ANSWER)
        else:
            answered = opened + dt.timedelta(hours=1 + (i * 3 + k * 7) % 40)
            flags: tuple[str, ...] = ()
            if (i + k) % 4 == 0:
                flags = ("hospital",)
            elif (i + k) % 4 == 1:
                flags = ("missed_doses", "anything_else")
            elif (i + k) % 9 == 2:
                flags = ("still_coming",)
            if not flags:
                spec = CheckInSpec(opened, answered, CheckInStatus.READY)
            else:
                choice = (i + 2 * k) % 3
                decision = (ReviewStatus.APPROVED, ReviewStatus.DECLINED, ReviewStatus.PENDING)[
                    choice
                ]
                decided = (
                    None
                    if decision == ReviewStatus.PENDING
                    else answered + dt.timedelta(hours=2 + (i + k) % 30)
                )
                status = (
                    CheckInStatus.APPROVED
                    if decision == ReviewStatus.APPROVED
                    else CheckInStatus.FLAGGED
                )
                spec = CheckInSpec(opened, answered, status, flags, decision, decided, answered)
        p.check_ins.append(spec)
        p.texts.append(
            TextSpec(opened, STATUSES[(i + k) % len(STATUSES)], p.language if k % 2 else None)
        )
        opened += dt.timedelta(days=30)
        k += 1


def _pharmacy(session: Session, name: str, number: str) -> Pharmacy:
    pharmacy = Pharmacy(
        name=name, phone="+12125550399", twilio_number=number, timezone=ZONE, state="NY",
        created_at=NOW,
    )  # fmt: skip
    session.add(pharmacy)
    session.flush()
    return pharmacy


def _patient(session: Session, pharmacy: Pharmacy, spec: PatientSpec, n: int) -> Patient:
    person = Patient(
        pharmacy_id=pharmacy.id,
        external_id=spec.external_id,
        first_name=f"Pat{n}",
        last_name="Riverside",
        birth_date=dt.date(1950, 1, 1),
        phone=f"+1212555{n:04d}",
        phone_type="mobile",
        language=spec.language,
        opted_out=spec.opted_out_at is not None,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(person)
    session.flush()
    drugs = [STATIN, ACE] if spec.eligible else [STATIN, "Albuterol inhaler"]
    for number, drug in enumerate(drugs):
        session.add(
            Prescription(
                patient_id=person.id,
                rx_number=f"RX{n:04d}{number}",
                drug_name=drug,
                daily_quantity=Decimal(1),
                days_supply=30,
                quantity=Decimal(30),
                last_fill_date=dt.date(2026, 11, 10),
                refills_remaining=5,
                written_date=dt.date(2026, 6, 1),
                dea_schedule=None,
                prn=drug.startswith("Albuterol"),
                maintenance=True,
                package=None,
                copay=Decimal("5.00"),
                updated_at=NOW,
            )
        )
        for fill_date, days in spec.fills.get(drug, []):
            session.add(
                Fill(
                    patient_id=person.id,
                    rx_number=f"RX{n:04d}{number}",
                    fill_date=fill_date,
                    days_supply=days,
                    quantity=Decimal(days),
                    imported_at=NOW,
                )
            )
    session.flush()
    return person


def _text(session: Session, pharmacy: Pharmacy, person: Patient, text: TextSpec) -> Message:
    message = Message(
        pharmacy_id=pharmacy.id,
        patient_id=person.id,
        direction=Direction.OUTBOUND,
        channel=Channel.SMS,
        sid=None if text.status in (MessageStatus.QUEUED, MessageStatus.SUPPRESSED)
        else f"SMrep{next(_sids):027x}",
        phone=person.phone,
        body="(a text)",
        status=text.status,
        language=text.language,
        created_at=text.created_at,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message


def _consent(session: Session, person: Patient, kind: ConsentKind, when: dt.datetime) -> None:
    session.add(
        ConsentEvent(
            patient_id=person.id, kind=kind, channel=Channel.SMS, wording="yes",
            language=person.language, created_at=when,
        )
    )  # fmt: skip


def build(session: Session) -> Program:
    pharmacy = _pharmacy(session, "Riverside Pharmacy", "+12125550300")
    campaigns = {
        name: Campaign(
            pharmacy_id=pharmacy.id, name=name, template="ENROLL_OFFER", audience="all",
            status=CampaignStatus.DONE, created_by="test", created_at=NOW, updated_at=NOW,
        )
        for name in (SPRING, FALL)
    }  # fmt: skip
    session.add_all(campaigns.values())
    session.flush()
    specs = plan_program()
    for n, spec in enumerate(specs):
        person = _patient(session, pharmacy, spec, n)
        spec.id = person.id
        for text in spec.texts:
            message = _text(session, pharmacy, person, text)
            if text.campaign is not None:
                session.add(
                    CampaignRecipient(
                        campaign_id=campaigns[text.campaign].id, patient_id=person.id,
                        status=RecipientStatus.INVITED, message_id=message.id,
                        created_at=text.created_at, updated_at=text.created_at,
                    )
                )  # fmt: skip
        _decisions_of(session, pharmacy, person, spec)
    other = _other_pharmacy(session)
    session.flush()
    return Program(pharmacy.id, other.id, specs)


def _decisions_of(session: Session, pharmacy: Pharmacy, person: Patient, spec: PatientSpec) -> None:
    if spec.consented_at:
        _consent(session, person, ConsentKind.ENROLLMENT_ACCEPTED, spec.consented_at)
    if spec.declined_at:
        _consent(session, person, ConsentKind.ENROLLMENT_DECLINED, spec.declined_at)
    if spec.opted_out_at:
        _consent(session, person, ConsentKind.OPT_OUT, spec.opted_out_at)
    status = (
        EnrollmentStatus.ACTIVE if spec.approved_at
        else EnrollmentStatus.PENDING_REVIEW if spec.anchor_at
        else EnrollmentStatus.CONSENTED if spec.consented_at
        else EnrollmentStatus.DECLINED if spec.declined_at
        else None
    )  # fmt: skip
    if status is not None:
        session.add(
            Enrollment(
                patient_id=person.id, status=status, anchor_day=15 if spec.anchor_at else None,
                cycle="monthly", updated_at=NOW,
            )
        )  # fmt: skip
    if spec.anchor_at:
        session.add(
            ReviewItem(
                pharmacy_id=pharmacy.id, patient_id=person.id, phone=person.phone,
                kind=ReviewKind.NEW_ENROLLMENT,
                status=ReviewStatus.APPROVED if spec.approved_at else ReviewStatus.PENDING,
                priority=1, summary="New enrollment.", details={}, created_at=spec.anchor_at,
                decided_at=spec.approved_at, decided_by="Dana" if spec.approved_at else None,
            )
        )  # fmt: skip
    for c in spec.check_ins:
        row = CheckIn(
            patient_id=person.id, anchor_date=(c.opened_at + dt.timedelta(days=7)).date(),
            status=c.status, definition="check_in@1", answers={}, flags=list(c.flags),
            opened_at=c.opened_at, completed_at=c.answered_at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        if c.flags:
            assert c.decision is not None and c.item_created_at is not None
            session.add(
                ReviewItem(
                    pharmacy_id=pharmacy.id, patient_id=person.id, phone=person.phone,
                    kind=ReviewKind.FLAGGED_CHECK_IN, status=c.decision, priority=0,
                    summary="Check-in needs review.", details={}, check_in_id=row.id,
                    created_at=c.item_created_at, decided_at=c.decided_at,
                )
            )  # fmt: skip
    session.flush()


def _other_pharmacy(session: Session) -> Pharmacy:
    """Uptown: one patient with a little of everything, none of which Riverside may count."""
    other = _pharmacy(session, "Uptown Pharmacy", "+12125550200")
    spec = PatientSpec("U1", "es", eligible=True)
    person = _patient(session, other, spec, 9000)
    when = at(dt.date(2026, 5, 5))
    _text(session, other, person, TextSpec(when, MessageStatus.DELIVERED, "es"))
    _consent(session, person, ConsentKind.ENROLLMENT_ACCEPTED, when)
    _consent(session, person, ConsentKind.OPT_OUT, when + dt.timedelta(days=3))
    session.add(
        CheckIn(
            patient_id=person.id, anchor_date=dt.date(2026, 6, 1), status=CheckInStatus.READY,
            definition="check_in@1", answers={}, flags=[], opened_at=when, completed_at=when,
        )
    )  # fmt: skip
    return other
