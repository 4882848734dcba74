"""Caregivers: a patient names another phone that gets their messages and may answer for
them; the patient or the caregiver can take that back.

From the patient's own phone: "CAREGIVER" -> their number -> "is that right?" -> YES. From a
caregiver's phone, "REMOVE" ends its permission for every patient it looks after; from the
patient's phone, "REMOVE" ends every caregiver's. STOP from a caregiver's phone stops texts
to that phone only: the patient is not opted out (engine._opt_out uses `stopped`).
"""

from __future__ import annotations

import phonenumbers

from dialogs import prompts
from dialogs.common import base_params, read_yes_no, unclear
from dialogs.context import Context, PatientFacts
from dialogs.parse import is_keyword, normalize
from dialogs.state import State
from dialogs.turn import (
    Ask,
    Effect,
    Event,
    Reply,
    Say,
    SetCaregiver,
    SetCaregiverPhone,
    Text,
    Turn,
)

NAME = "caregiver"

# Whole messages, in every language MedSync speaks (after `normalize`). Kept here rather than
# in the vocabularies: they are commands written as we print them in our own texts.
ADD_WORDS = frozenset(
    normalize(w)
    for w in (
        "caregiver", "add caregiver", "carer", "cuidador", "cuidadora", "agregar cuidador",
        "moun kap okipe", "tagapag-alaga", "người chăm sóc", "보호자", "опекун", "сиделка",
        "照顾者", "照顧者", "مقدم الرعاية",
    )
)  # fmt: skip
REMOVE_WORDS = frozenset(
    normalize(w)
    for w in (
        "remove", "remove caregiver", "quitar", "quitar cuidador", "eliminar", "retire",
        "alisin", "xoa", "xóa", "삭제", "удалить", "删除", "刪除", "إزالة",
    )
)  # fmt: skip


def display(e164: str) -> str:
    """A number as patients read it: "(617) 555-0199" in the US."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def read_phone(text: str) -> str | None:
    """The E.164 number in a text ("617-555-0199", "+1 617 555 0199"), or None."""
    for match in phonenumbers.PhoneNumberMatcher(text, "US"):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def own(ctx: Context) -> tuple[PatientFacts, ...]:
    """The patients whose own phone this is (not reached through a caregiver's permission)."""
    return tuple(p for p in ctx.patients if p.id not in ctx.cared_for)


def intent(state: State, text: str, ctx: Context) -> Turn | None:
    """CAREGIVER or REMOVE, wherever the conversation is; None for anything else."""
    if is_keyword(text, REMOVE_WORDS):
        if ctx.cared_for:
            return _caregiver_removes(state, text.strip(), ctx)
        patient = ctx.patient(state.subject) or (own(ctx)[0] if len(own(ctx)) == 1 else None)
        if patient is not None and patient.caregivers:
            return _patient_removes(state, text.strip(), ctx, patient)
        return None
    if is_keyword(text, ADD_WORDS):
        patient = ctx.patient(state.subject) or (own(ctx)[0] if len(own(ctx)) == 1 else None)
        if patient is not None and patient.id not in ctx.cared_for:
            asked = State(dialog=NAME, step="number", subject=patient.id)
            return Turn(state=asked, replies=_ask_number())
    return None


def _ask_number() -> tuple[Reply, ...]:
    # "Type it here, or reply NO": NO is the way out.
    return (Ask(prompts.CAREGIVER_ASK_NUMBER, expects="text_or_no"),)


def _confirm(phone: str) -> Ask:
    return Ask(prompts.CAREGIVER_CONFIRM, {"phone": display(phone)}, expects="yes_no")


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    if state.step == "confirm":
        return (_confirm(str(state.data["phone"])),)
    return _ask_number()


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    if state.step == "confirm":
        phone = str(state.data["phone"])
        said = read_yes_no(event, ctx)
        if said is None:
            return unclear(state, ctx, patient, _confirm(phone), "whether to add a caregiver")
        if not said:
            return Turn(state=state.idle(), replies=(Say(prompts.CAREGIVER_NOT_ADDED),))
        wording = event.body.strip() if isinstance(event, Text) else "keypad yes"
        return Turn(
            state=state.idle(),
            replies=(Say(prompts.CAREGIVER_ADDED, {"phone": display(phone)}),),
            effects=(SetCaregiver(patient.id, phone, True, wording, "patient"),),
        )
    written = event.body if isinstance(event, Text) else getattr(event, "digits", "")
    given = read_phone(str(written))
    if given is None and read_yes_no(event, ctx) is False:
        return Turn(state=state.idle(), replies=(Say(prompts.CAREGIVER_NOT_ADDED),))
    if given is None:
        question = Ask(prompts.CAREGIVER_ASK_NUMBER, expects="text_or_no")
        return unclear(state, ctx, patient, question, "a caregiver's phone number")
    asked = state.at("confirm", phone=given)
    return Turn(state=asked, replies=(_confirm(given),))


def _caregiver_removes(state: State, wording: str, ctx: Context) -> Turn:
    cared = [p for p in ctx.patients if p.id in ctx.cared_for]
    names = ", ".join(p.first_name for p in cared)
    anyone = cared[0]
    stays = state if state.subject not in ctx.cared_for else State()
    return Turn(
        state=stays,
        replies=(Say(prompts.CAREGIVER_REMOVED, {**base_params(ctx, anyone), "names": names}),),
        effects=tuple(SetCaregiver(p.id, "", False, wording, "caregiver") for p in cared),
    )


def _patient_removes(state: State, wording: str, ctx: Context, patient: PatientFacts) -> Turn:
    phones = ", ".join(patient.caregivers)
    return Turn(
        state=state,
        replies=(Say(prompts.CAREGIVER_REMOVED_BY_PATIENT, {"phones": phones}),),
        effects=(SetCaregiver(patient.id, "", False, wording, "patient"),),
    )


def stopped(ctx: Context, wording: str) -> tuple[Effect, ...]:
    """STOP from a phone that looks after others: their permissions end, and a phone that is
    only a caregiver's is opted out itself. The patients are not opted out."""
    ended: tuple[Effect, ...] = tuple(
        SetCaregiver(p, "", False, wording, "caregiver") for p in ctx.cared_for
    )
    if ctx.cared_for and not own(ctx):
        return (*ended, SetCaregiverPhone(True, wording))
    return ended


def while_stopped(state: State, text: str | None, ctx: Context) -> Turn:
    """A caregiver's phone after STOP: silence until START."""
    if text is not None and is_keyword(text, ctx.vocab.opt_in):
        return Turn(
            state=state,
            replies=(Say(prompts.START_CONFIRMED, {"pharmacy": ctx.pharmacy_name}),),
            effects=(SetCaregiverPhone(False, text.strip()),),
        )
    return Turn(state=state)
