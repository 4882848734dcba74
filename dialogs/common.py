"""Small pieces every dialog uses: reading answers, re-asking once, handing over to staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from dialogs import prompts
from dialogs.context import Context, PatientFacts
from dialogs.parse import number
from dialogs.reading import Asked, Back, read
from dialogs.state import State
from dialogs.turn import Ask, Digits, Effect, Event, OpenReviewItem, Reply, Say, Text, Turn

# Keypad: 1 means yes and 2 means no, in every question that takes yes or no.
KEY_YES = "1"
KEY_NO = "2"


def read_yes_no(event: Event, ctx: Context) -> bool | None:
    """A sure yes or no (dialogs/reading.py): typos, emoji and "I did" read; "maybe", "no sé"
    and "yes and no" are None, and so is a yes on a condition ("yes, if it's free"): a consent
    is never taken on one. An answer put off ("yes after I talk to my daughter", "not now, ask
    me again later") is None too: neither a consent nor a decline."""
    if isinstance(event, Digits):
        return {KEY_YES: True, KEY_NO: False}.get(event.digits.strip("#*"))
    if isinstance(event, Text):
        reading = read(event.body, Asked("yes_no"), ctx.vocab)
        if reading.said in ("yes", "no") and reading.sure and reading.question_back is None:
            if reading.deferred:
                return None
            if reading.said == "yes" and reading.conditional:
                return None
            return reading.said == "yes"
    return None


def question_back(event: Event, ctx: Context, kind: str = "yes_no") -> Back | None:
    """ "Who is this?", "what do you mean?", "how much?", "when are you open?", or None.

    Also beside an answer ("yes, but how much will it cost?"): the question is answered and
    ours asked again, so a consent is given knowing what the patient asked."""
    if not isinstance(event, Text):
        return None
    return read(event.body, Asked(kind), ctx.vocab).question_back


def answer_back(
    back: Back,
    ctx: Context,
    patient: PatientFacts,
    meaning: tuple[Reply, ...] = (),
    cost: Callable[[], tuple[Reply, ...]] = tuple,
) -> tuple[Reply, ...]:
    """The answer to a question back; the caller asks its own question again after it."""
    params = base_params(ctx, patient)
    if back == "who":
        return (Say(prompts.WHO_IS_THIS, params),)
    if back == "hours":
        if ctx.hours:
            return (Say(prompts.PHARMACY_HOURS, {**params, "hours": ctx.hours}),)
        return (Say(prompts.PHARMACY_HOURS_UNKNOWN, params),)
    if back == "cost":
        told = cost()
        return told or (Say(prompts.COST_GENERAL),)
    return meaning


DaySaid = int | Literal["suggested", "around"] | None


def read_day(event: Event, ctx: Context) -> tuple[DaySaid, Back | None]:
    """What a reply to "which day?" says, and the question it asks back, from one reading.

    The first is a day of the month (not checked against 1-28), "suggested" for the day we
    suggested in so many words ("whatever you suggest"), "around" for a day named only around
    another ("after the 3rd", "not the 15th", "the first friday": never that day, never a
    yes), or None: then a yes may still take the suggested day (`read_yes_no`). The second
    is `question_back`'s for the same text ("who is this?", "how much?")."""
    if not isinstance(event, Text):
        return read_number(event, ctx), None
    reading = read(event.body, Asked("day"), ctx.vocab)
    back = reading.question_back
    if reading.relative:
        return "around", back
    if reading.said == "day" and isinstance(reading.value, int):
        return reading.value, back
    if reading.said == "yes" and reading.value == "suggested":
        return "suggested", back
    return None, back


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
    wrote: str = "",
    clarifying: tuple[Reply, ...] = (),
) -> Turn:
    """Ask once more, specifically (`clarifying`, else "I want to be sure" and the question);
    the second time, ask staff to call, quoting what the patient wrote, and tell them so. The
    question stays open: a clear answer after the call-back was raised ("sí") still answers it,
    rather than starting the dialog over (the invitation sent again)."""
    said = [*state.data.get("unclear_wrote", ()), *([wrote] if wrote else [])]
    if state.retries == 0:
        again = clarifying or (Say(prompts.JUST_TO_BE_SURE), question)
        kept = replace(state, data={**state.data, "unclear_wrote": said}) if said else state
        return Turn(state=_retry(kept), replies=again)
    details: dict[str, object] = {"dialog": state.dialog, "step": state.step}
    if said:
        # What they wrote travels in the details, never in the summary: the summary is a
        # plain sentence for staff (API, queue rows, notifications) with no patient text.
        details["wrote"] = " / ".join(said)
    item = OpenReviewItem(
        kind="call_back",
        patient_id=patient.id,
        flagged=True,
        summary=f"Could not understand the patient's answer ({what}) twice. "
        "Their words are on the item. Please call them."
        if said
        else f"Could not understand the patient's answer ({what}) twice. Please call them.",
        details=details,
    )
    return Turn(
        state=_retry(state),
        replies=(Say(prompts.ESCALATED),),
        effects=(*on_give_up(), item),
    )


def _retry(state: State) -> State:
    return replace(state, retries=state.retries + 1)
