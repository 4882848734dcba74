"""Small pieces every dialog uses: reading answers, re-asking once, handing over to staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dialogs import prompts
from dialogs.context import Context, PatientFacts
from dialogs.parse import number, yes_or_no
from dialogs.state import State
from dialogs.turn import Ask, Digits, Effect, Event, OpenReviewItem, Say, Text, Turn

# Keypad: 1 means yes and 2 means no, in every question that takes yes or no.
KEY_YES = "1"
KEY_NO = "2"


def read_yes_no(event: Event, ctx: Context) -> bool | None:
    if isinstance(event, Digits):
        return {KEY_YES: True, KEY_NO: False}.get(event.digits.strip("#*"))
    if isinstance(event, Text):
        return yes_or_no(event.body, ctx.vocab)
    return None


def read_number(event: Event, ctx: Context) -> int | None:
    if isinstance(event, Digits):
        digits = event.digits.strip("#*")
        return int(digits) if digits.isdigit() else None
    if isinstance(event, Text):
        return number(event.body, ctx.vocab)
    return None


def written(event: Event) -> str:
    return event.body.strip() if isinstance(event, Text) else ""


def base_params(ctx: Context, patient: PatientFacts) -> dict[str, str | int]:
    return {
        "first_name": patient.first_name,
        "pharmacy": ctx.pharmacy_name,
        "pharmacy_phone": ctx.pharmacy_phone,
    }


def unclear(
    state: State,
    ctx: Context,
    patient: PatientFacts,
    question: Ask,
    what: str,
    on_give_up: Callable[[], tuple[Effect, ...]] = tuple,
) -> Turn:
    """Re-ask once; the second time, ask staff to call and tell the patient so. The question
    stays open: a clear answer after the call-back was raised ("sí") still answers it, rather
    than starting the dialog over (the invitation sent again)."""
    if state.retries == 0:
        return Turn(state=_retry(state), replies=(Say(prompts.DIDNT_UNDERSTAND), question))
    item = OpenReviewItem(
        kind="call_back",
        patient_id=patient.id,
        flagged=True,
        summary=f"Could not understand the patient's answer ({what}) twice. Please call them.",
        details={"dialog": state.dialog, "step": state.step},
    )
    return Turn(
        state=_retry(state),
        replies=(Say(prompts.ESCALATED),),
        effects=(*on_give_up(), item),
    )


def _retry(state: State) -> State:
    return replace(state, retries=state.retries + 1)
