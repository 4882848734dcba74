"""The scheduler's pickup reminder: T-1 with the check-in clear (ready or approved).

The text names the day the patient really comes (moved off a closed day) and goes to each
caregiver's phone and to the patient's own when it can be texted and they did not ask for calls
(otherwise a reminder call does it). It names the regular medicines only to the patient's own
phone and only if they opted in to detailed messages, and may ask about a service the pharmacy
offers (docs/SERVICES.md). While a renewal of that pickup is still asked of the prescriber (a
pending renewal review item) it gives the day and says so instead of "ready", naming no
medicine to anyone (bot/program/renewals.py). To a patient who has their medicines delivered
(the delivery preference on) it says they will be delivered for that day, naming none (the
detailed reminder is for pickup only). Once per patient per cycle
(bot/outreach/cycle_events.py). Run by the anchor-cycle scheduler (bot/outreach/scheduler.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot.channels.sms_text import compose
from bot.conversation.messages import outbound_message
from bot.languages import serving
from bot.outreach.cycle_events import claimed, closure_slack, pickup_day, record_event, textable
from bot.outreach.due_report import PharmacyRun
from bot.program import households, renewals, services
from bot.program.caregivers import recipients as caregiver_phones
from bot.program.preferences import calling, delivering
from dialogs import prompts
from dialogs.turn import Say
from store import queries
from store.db import transaction
from store.models import CheckIn, CheckInStatus, Patient, Pharmacy
from store.outreach import CycleEvent, CycleEventKind
from store.preferences import detailed_messages


def pickup_reminders(run: PharmacyRun) -> None:
    """T-1 with the check-in clear: the pickup reminder, to the patient and their caregivers."""
    ahead = run.today + dt.timedelta(days=run.settings.pickup_reminder_days_before)
    slack = dt.timedelta(days=closure_slack(run.days))
    now = run.clock.now()
    with transaction(run.sessions) as session:
        pharmacy = session.get(Pharmacy, run.pharmacy_id)
        assert pharmacy is not None
        found_reminders = session.execute(
            select(Patient, CheckIn.anchor_date)
            .join(CheckIn, CheckIn.patient_id == Patient.id)
            .where(
                Patient.pharmacy_id == run.pharmacy_id,
                Patient.opted_out.is_(False),
                CheckIn.status.in_((CheckInStatus.READY, CheckInStatus.APPROVED)),
                CheckIn.anchor_date > run.today,
                CheckIn.anchor_date <= ahead + slack,
                ~claimed(CycleEventKind.PICKUP_REMINDER, CheckIn.anchor_date),  # type: ignore[operator]
            )
        ).all()
        # The day before the patient really comes, which the text names.
        due = [
            (p, a)
            for p, a in found_reminders
            if run.today < pickup_day(run.days, a, run.today) <= ahead
        ]
        wants_calls = calling(session, [p.id for p, _ in due])
        detailed = detailed_messages(session, [p.id for p, _ in due])
        renewing = renewals.pending_anchors_of(session, [p.id for p, _ in due])
        delivered = delivering(session, [p.id for p, _ in due])
        for patient, anchor_date in due:
            # No text to the patient's own phone when they asked for calls instead.
            texted = textable(patient) and patient.id not in wants_calls
            phones = caregiver_phones(session, patient, texted)
            if not phones:
                record_event(
                    session,
                    patient.id,
                    anchor_date,
                    CycleEventKind.PICKUP_REMINDER,
                    now,
                    note="No text reminder: a landline or calls asked for (a reminder call).",
                )
                continue
            if not record_event(
                session, patient.id, anchor_date, CycleEventKind.PICKUP_REMINDER, now
            ):
                continue
            pickup = pickup_day(run.days, anchor_date, run.today)
            waits = anchor_date in renewing.get(patient.id, ())
            delivery = patient.id in delivered
            say = renewals.pickup_reminder(pharmacy.name, pickup, waits, delivery)
            say = households.reminder_naming(session, patient, say)
            # Medicines are named only to the patient's own phone, and only if they opted in;
            # never while a renewal is pending (the text must not call them all ready), nor to
            # a patient who has them delivered (the detailed text says "ready for pickup").
            plain = waits or delivery
            own = _detailed_reminder(patient, say) if detailed[patient.id] and not plain else say
            language = serving.language_for(session, pharmacy, patient, now)
            key = f"pickup:{patient.id}:{anchor_date.isoformat()}:reminder"
            written = []
            for phone in phones:  # the patient's own phone first, then each caregiver's
                conversation = queries.locked_conversation(session, run.pharmacy_id, phone, now)
                replies: list[Say] = [own if phone == patient.phone else say]
                if phone == patient.phone and pharmacy.services:
                    # A service offered with the reminder, asked in the same text, when the
                    # patient's own conversation is not waiting for another answer.
                    asked = services.offer_with_reminder(
                        session, pharmacy, patient, conversation, anchor_date, pickup, now
                    )
                    replies += [] if asked is None else [asked]
                written.append(
                    outbound_message(
                        conversation.id,
                        run.pharmacy_id,
                        patient.id,
                        phone,
                        compose(replies, language, True),
                        language,
                        now,
                        idempotency_key=key if phone == patient.phone else f"{key}:{phone}",
                    )
                )
            session.add_all(written)
            session.flush()
            message = written[0]
            run.report.to_send.extend(m.id for m in written[1:])
            session.execute(
                update(CycleEvent)
                .where(
                    CycleEvent.patient_id == patient.id,
                    CycleEvent.anchor_date == anchor_date,
                    CycleEvent.kind == CycleEventKind.PICKUP_REMINDER.value,
                )
                .values(message_id=message.id)
            )
            run.report.reminders += 1
            run.report.to_send.append(message.id)


def _detailed_reminder(patient: Patient, plain: Say) -> Say:
    """The reminder naming the patient's regular medicines (they opted in to detailed
    messages); the plain one when none is on file."""
    names = sorted(
        {
            rx.drug_name
            for rx in patient.prescriptions
            if rx.active and rx.maintenance and not rx.prn
        }
    )
    if not names:
        return plain
    return Say(prompts.PICKUP_REMINDER_DETAILED, {**plain.params, "medicines": ", ".join(names)})
