"""Who is calling: caller ID can be spoofed, so an inbound call hears and changes nothing about
a patient until the caller gives that patient's birth date (a pharmacy setting, on by default:
`medsync pharmacy callers`).

- The birth date is keyed (MMDDYYYY, then #) or said ("March 4, 1950", "4 de marzo de 1950"),
  read with the caller's language's month and number words (dialogs/parse.py). It must be the
  birth date of a patient on this phone (or one this phone is a caregiver for); the call is
  then about that patient. The bot never says a birth date, and the transcript records only
  that one was given.
- Three wrong, unclear or silent answers end the call politely and flag it for staff.
- A phone whose patients have no birth date on file cannot be checked: the caller hears the
  pharmacy's name and is offered a person or a message, nothing else, and staff are told to
  add the birth date.
- At any point "pharmacist" transfers (a person checks who is calling), and "stop" opts out as
  it does everywhere: a revocation is honoured by any reasonable means (FCC 24-24).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.channels import voice_instructions as said
from bot.channels.voice import CallForm
from bot.channels.voice_twiml import HangUp
from bot.conversation.calls.gathering import after_turn, ask, event_of, unsure
from bot.conversation.calls.leg import Leg, converse, emit, inbound_line, note, phone_patients
from bot.conversation.calls.transferring import offer, transfer
from bot.languages.catalogs import vocabulary_for
from dialogs import prompts
from dialogs.parse import asks_for_pharmacist, is_opt_out, keyed_birth_date, spoken_birth_date
from dialogs.state import State, load
from dialogs.turn import Ask, Digits, NoInput, Reply, Say, Text
from store.calls import CallMode
from store.models import Direction, Message, Patient, ReviewKind

MAX_TRIES = 3
QUESTION = Ask(said.CONFIRM_BIRTH_DATE, expects="birth_date")
Proceed = Callable[[Leg, Sequence[Patient]], str]


def must_confirm(leg: Leg, patients: Sequence[Patient]) -> bool:
    call = leg.call
    return (
        bool(patients)
        and leg.pharmacy.verify_callers
        and call.direction == Direction.INBOUND
        and "confirmed" not in call.notes
    )


def ask_birth_date(
    leg: Leg,
    patients: Sequence[Patient],
    lead: Sequence[Reply] = (),
    inbound: Message | None = None,
) -> str:
    if not any(p.birth_date is not None for p in patients):
        return not_on_file(leg, inbound)
    leg.call.notes = {**leg.call.notes, "verifying": True}
    return ask(leg, [*lead, QUESTION], QUESTION, inbound)


def not_on_file(leg: Leg, inbound: Message | None) -> str:
    note(
        leg,
        ReviewKind.MESSAGE,
        "A call came from this patient's phone, but there is no birth date on file to "
        "confirm who was calling, so nothing about the patient was said. Add the birth date "
        "in the pharmacy system and import it.",
    )
    return offer(leg, [Say(said.NOT_ON_FILE)], inbound)


def on_birth_date(leg: Leg, form: CallForm, proceed: Proceed) -> str:
    """The answer to the birth-date question: `proceed` with the confirmed patient, ask again,
    or end the call after the third miss."""
    call = leg.call
    event = event_of(form)
    lead: Reply = Say(said.BIRTH_DATE_NOT_MATCHED)
    given = None
    if isinstance(event, NoInput):
        inbound = inbound_line(leg, "[no answer]")
        lead = Say(said.DIDNT_HEAR)
    elif isinstance(event, Text) and unsure(leg, event):
        inbound = inbound_line(leg, "[unclear answer]")
        lead = Say(prompts.DIDNT_UNDERSTAND)
    elif isinstance(event, Text):
        vocab = vocabulary_for(call.language or "en")
        if asks_for_pharmacist(event.body, vocab):
            return transfer(leg, [], inbound_line(leg, "[asked for the pharmacy]"))
        if is_opt_out(event.body, vocab):
            inbound = inbound_line(leg, event.body)
            before = load(leg.conversation.state)
            return after_turn(leg, before, converse(leg, event, inbound), inbound)
        inbound = inbound_line(leg, "[a birth date was said]")
        given = spoken_birth_date(event.body, vocab)
    else:
        assert isinstance(event, Digits)
        inbound = inbound_line(leg, "[a birth date was keyed]")
        given = keyed_birth_date(event.digits)
    patients = phone_patients(leg)
    matched = [p for p in patients if given is not None and p.birth_date == given]
    if matched:
        return confirmed(leg, matched, proceed)
    tries = int(call.notes.get("birth_date_tries", 0)) + 1
    call.notes = {**call.notes, "birth_date_tries": tries}
    if tries >= MAX_TRIES:
        note(
            leg,
            ReviewKind.CALL_BACK,
            f"A caller from this patient's phone could not confirm the birth date in "
            f"{MAX_TRIES} tries, so the call was ended and nothing about the patient was "
            "said. If it was the patient, please call them back; if not, someone may be "
            "trying to learn about them.",
            flagged=True,
            message=inbound,
        )
        return emit(leg, [Say(said.CALLER_NOT_CONFIRMED)], HangUp(), CallMode.DONE, inbound)
    return ask_birth_date(leg, patients, [lead], inbound)


def confirmed(leg: Leg, matched: Sequence[Patient], proceed: Proceed) -> str:
    call = leg.call
    notes = {k: v for k, v in call.notes.items() if k not in ("verifying", "birth_date_tries")}
    call.notes = {**notes, "confirmed": [p.id for p in matched]}
    call.reprompts = 0
    call.silences = 0
    if len(matched) == 1:
        patient = matched[0]
        call.patient_id = patient.id
        call.language = patient.language
        state = load(leg.conversation.state)
        if state.subject != patient.id:
            # The call is about the patient whose birth date it is, not whoever the phone's
            # conversation was about: no one else on the phone is named.
            leg.conversation.state = State(subject=patient.id).to_json()
    return proceed(leg, matched)
