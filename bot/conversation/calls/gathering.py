"""Asking and hearing: a question or the menu is said, and what the patient keys or says
goes to the dialog; silence and unclear speech are re-prompted at most twice, then staff call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from bot.channels import voice_instructions as said
from bot.channels.voice import CallForm
from bot.channels.voice_twiml import (
    HangUp,
    Listen,
)
from bot.clock import local_date
from bot.conversation.call_records import encode_question
from bot.conversation.calls.leg import (
    DIALOG_NAMES,
    MENU_KEY_PREFERENCES,
    Leg,
    converse,
    emit,
    heard,
    inbound_line,
    note,
    phone_patients,
    question_of,
    says,
    speaker_of,
    subject_of,
    url,
)
from bot.conversation.calls.transferring import offer, take_message, transfer
from bot.conversation.runtime import Answer
from bot.languages.catalogs import vocabulary_for
from dialogs import engine, prompts
from dialogs.parse import asks_for_pharmacist, is_keyword, is_opt_out
from dialogs.state import State, load
from dialogs.turn import Ask, Digits, Event, NoInput, Reply, Say, Start, Text
from store import queries
from store.calls import CallMode
from store.models import CheckInStatus, EnrollmentStatus, Message, Patient, ReviewKind

# Replies that tell the patient something without finishing anything: the call goes on to the
# menu instead of saying goodbye.
INFORMATION = frozenset(
    {
        prompts.NEXT_PICKUP,
        prompts.ENROLLMENT_IN_REVIEW,
        prompts.HELP,
        prompts.LANGUAGE_CHANGED,
        prompts.START_CONFIRMED,
        prompts.PASSED_ON,
        prompts.POSSIBLE_OPT_OUT,
    }
)


def on_question(leg: Leg, form: CallForm) -> str:
    call = leg.call
    question = question_of(call)
    event = event_of(form)
    if isinstance(event, NoInput):
        inbound = inbound_line(leg, "[no answer]")
        call.silences += 1
        if call.silences >= 2 or call.reprompts >= leg.settings.max_reprompts:
            return give_up(leg, "did not answer", Say(said.DIDNT_HEAR), inbound)
        call.reprompts += 1
        return ask(leg, [Say(said.DIDNT_HEAR), question], question, inbound)
    call.silences = 0
    if isinstance(event, Text) and unsure(leg, event):
        inbound = inbound_line(leg, f"[unclear] {event.body}")
        if call.reprompts >= leg.settings.max_reprompts:
            why = "could not be understood"
            return give_up(leg, why, Say(prompts.DIDNT_UNDERSTAND), inbound)
        call.reprompts += 1
        return ask(leg, [Say(prompts.DIDNT_UNDERSTAND), question], question, inbound)
    keyed_yes = isinstance(event, Digits) and event.digits.strip("#*") == "1"
    if keyed_yes and question.expects == "text_or_no":
        # "Press 1 and a pharmacist will call you about it": a yes, for the pharmacist.
        event = Text("keypad 1 (yes)")
    inbound = inbound_line(leg, heard(event))
    before = load(leg.conversation.state)
    return after_turn(leg, before, converse(leg, event, inbound), inbound)


def on_menu(leg: Leg, form: CallForm) -> str:
    call = leg.call
    event = event_of(form)
    if isinstance(event, NoInput):
        inbound = inbound_line(leg, "[no answer]")
        call.silences += 1
        if call.silences >= 2 or call.reprompts >= leg.settings.max_reprompts:
            return emit(leg, [Say(said.GOODBYE)], HangUp(), CallMode.DONE, inbound)
        call.reprompts += 1
        return menu(leg, [Say(said.DIDNT_HEAR)], inbound)
    call.silences = 0
    if isinstance(event, Text) and unsure(leg, event):
        inbound = inbound_line(leg, f"[unclear] {event.body}")
        return menu_again(leg, inbound)
    inbound = inbound_line(leg, heard(event))
    if isinstance(event, Digits):
        key = event.digits.strip("#*")
        if key == "1":
            return take_message(leg, [], inbound)
        if key == MENU_KEY_PREFERENCES:
            before = load(leg.conversation.state)
            phone = leg.conversation.phone
            patients = queries.patients_with_phone(leg.session, leg.pharmacy.id, phone)
            subject = subject_of(patients, before)
            if subject is not None:
                event = Start("preferences", {"patient_id": subject.id})
                answer = converse(leg, event, inbound)
                return after_turn(leg, before, answer, inbound)
        if key not in (engine.KEY_PHARMACIST, engine.KEY_STOP):
            return menu_again(leg, inbound)
    before = load(leg.conversation.state)
    return after_turn(leg, before, converse(leg, event, inbound), inbound)


def menu_again(leg: Leg, inbound: Message) -> str:
    if leg.call.reprompts >= leg.settings.max_reprompts:
        return emit(leg, [Say(said.GOODBYE)], HangUp(), CallMode.DONE, inbound)
    leg.call.reprompts += 1
    return menu(leg, [Say(prompts.DIDNT_UNDERSTAND)], inbound)


def on_offer(leg: Leg, form: CallForm) -> str:
    event = event_of(form)
    inbound = inbound_line(leg, heard(event))
    vocab = vocabulary_for(leg.call.language or "en")
    if isinstance(event, Digits) and event.digits.strip("#*") == engine.KEY_PHARMACIST:
        return transfer(leg, [], inbound)
    if isinstance(event, Text) and not unsure(leg, event):
        if asks_for_pharmacist(event.body, vocab):
            return transfer(leg, [], inbound)
        # "stop please" opts out as the texts' dialogs take it (`is_opt_out`); START alone.
        opted_out = any(p.opted_out for p in phone_patients(leg))
        if is_keyword(event.body, vocab.opt_in) if opted_out else is_opt_out(event.body, vocab):
            before = load(leg.conversation.state)
            return after_turn(leg, before, converse(leg, event, inbound), inbound)
    return take_message(leg, [], inbound)


def after_turn(leg: Leg, before: State, answer: Answer, inbound: Message | None) -> str:
    call = leg.call
    turn = answer.turn
    call.patient_id = answer.patient_id or call.patient_id
    call.language = answer.language
    replies = list(turn.replies)
    msgids = {r.msgid for r in replies}
    asks = [r for r in replies if isinstance(r, Ask)]
    if prompts.STOP_CONFIRMED in msgids:
        return emit(leg, says(replies), HangUp(), CallMode.DONE, inbound)
    if prompts.PHARMACIST_CALLBACK in msgids:
        return transfer(leg, [Say(prompts.PHARMACIST_CALLBACK)], inbound)
    if asks:
        same = before.dialog is not None and (before.dialog, before.step, before.subject) == (
            turn.state.dialog,
            turn.state.step,
            turn.state.subject,
        )
        if same and call.reprompts >= leg.settings.max_reprompts:
            return give_up(leg, "could not be understood", Say(prompts.DIDNT_UNDERSTAND), inbound)
        call.reprompts = call.reprompts + 1 if same else 0
        if not same:
            call.silences = 0
        return ask(leg, replies, asks[-1], inbound)
    if prompts.ESCALATED in msgids:
        return offer(leg, replies, inbound)  # the dialog asked staff to call already
    if turn.state.dialog is not None and call.question is not None:
        # The dialog still waits for an answer ("we will pass this on"): ask it again.
        question = question_of(call)
        if call.reprompts >= leg.settings.max_reprompts:
            return give_up(leg, "did not answer", Say(said.DIDNT_HEAR), inbound)
        call.reprompts += 1
        return ask(leg, [*replies, question], question, inbound)
    due = due_check_in(leg, phone_patients(leg))
    if due is not None:
        patient, anchor = due
        started = list(call.notes.get("check_ins", []))
        call.notes = {**call.notes, "check_ins": [*started, patient.id]}
        event = Start("check_in", {"patient_id": patient.id, "anchor_date": anchor})
        following = converse(leg, event, None)
        if following.turn.replies:
            turn = replace(following.turn, replies=(*replies, *following.turn.replies))
            return after_turn(leg, State(), replace(following, turn=turn), inbound)
    if msgids <= INFORMATION and (
        call.mode != CallMode.MENU or call.reprompts < leg.settings.max_reprompts
    ):
        if call.mode == CallMode.MENU:
            call.reprompts += 1
        return menu(leg, replies, inbound)
    return emit(leg, [*replies, Say(said.GOODBYE)], HangUp(), CallMode.DONE, inbound)


def give_up(leg: Leg, why: str, lead: Reply, inbound: Message | None) -> str:
    """Past the re-prompts: staff are asked to call, the patient is offered a person."""
    state = load(leg.conversation.state)
    what = DIALOG_NAMES.get(state.dialog or "", "the call")
    note(
        leg,
        ReviewKind.CALL_BACK,
        f"Could not finish {what} by phone: the patient {why}. Please call them.",
        flagged=True,
        message=inbound,
    )
    return offer(leg, [lead], inbound)


def end_too_long(leg: Leg) -> str:
    state = load(leg.conversation.state)
    if state.dialog is not None:
        what = DIALOG_NAMES.get(state.dialog, "the call")
        note(
            leg,
            ReviewKind.CALL_BACK,
            f"A call reached its length limit before the patient finished {what}. "
            "Please call them.",
            flagged=True,
        )
    return emit(leg, [Say(said.TOO_LONG)], HangUp(), CallMode.DONE)


def too_long(leg: Leg) -> bool:
    call, now = leg.call, leg.now
    started = call.started_at or call.created_at
    too_long = (now - started).total_seconds() > leg.settings.max_call_seconds
    return too_long or call.step >= leg.settings.max_steps


def ask(leg: Leg, replies: Sequence[Reply], question: Ask, inbound: Message | None) -> str:
    leg.call.question = encode_question(question)
    tell_keys = not leg.call.notes.get("keys_told", False)
    leg.call.notes = {**leg.call.notes, "keys_told": True}
    hints = question.choices if question.expects == "choice" else ()
    then = Listen(
        url(leg, "answer"),
        day=said.takes_a_day(question),
        hints=hints,
        number=said.takes_a_number(question),
    )
    return emit(leg, replies, then, CallMode.QUESTION, inbound, tell_keys=tell_keys)


def menu(leg: Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
    menu = said.MENU if speaker_of(leg).speech else said.MENU_KEYPAD
    then = Listen(url(leg, "answer"))
    choices = [Say(said.MENU_PREFERENCES), Say(menu)]
    return emit(leg, [*replies, *choices], then, CallMode.MENU, inbound)


def event_of(form: CallForm) -> Event:
    digits = "".join(c for c in form.digits if c.isdigit() or c in "#*")
    if digits.strip("#*"):
        return Digits(digits)
    if form.speech:
        return Text(form.speech[:1600], speech=True, confidence=form.confidence)
    return NoInput()


def unsure(leg: Leg, event: Text) -> bool:
    threshold = leg.settings.confidence_threshold
    return event.confidence is not None and event.confidence < threshold


def due_check_in(leg: Leg, patients: Sequence[Patient]) -> tuple[Patient, dt.date] | None:
    """A check-in this phone owes: about a week before a pickup, not answered yet, and not
    already run on this call."""
    today = local_date(leg.runtime.clock, leg.pharmacy.timezone)
    enrollments = queries.enrollments_of(leg.session, [p.id for p in patients])
    ran = set(leg.call.notes.get("check_ins", []))
    for patient in patients:
        enrollment = enrollments.get(patient.id)
        if patient.opted_out or patient.id in ran or enrollment is None:
            continue
        anchor = enrollment.next_anchor_date
        # As the scheduler does: check-ins once a pharmacist has approved the plan.
        if enrollment.status != EnrollmentStatus.ACTIVE or anchor is None:
            continue
        if not 0 <= (anchor - today).days <= leg.outreach.check_in_days_before:
            continue
        check_in = queries.check_in_for(leg.session, patient.id, anchor)
        if check_in is None or check_in.status == CheckInStatus.OPEN:
            return patient, anchor
    return None
