"""The check-in before each anchor date, run from a question definition.

Any answer a question flags on holds the fill for a pharmacist; all clear marks it ready.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialogs import prompts, services
from dialogs.assessment import Assessment, Question, in_language
from dialogs.common import base_params, read_number, read_yes_no, unclear, written
from dialogs.context import Context, PatientFacts
from dialogs.parse import yes_or_no
from dialogs.state import State
from dialogs.turn import Ask, Digits, Event, OpenReviewItem, Reply, SaveCheckIn, Say, Text, Turn

NAME = "check_in"
DELIVERY_STEP = "delivery_address"  # asked last, of patients who want delivery
_DELIVERY_ASK = Ask(prompts.CHECK_IN_DELIVERY_ADDRESS, expects="yes_no")


def _definition(ctx: Context) -> Assessment:
    return ctx.check_in


def _anchor_date(state: State) -> dt.date:
    return dt.date.fromisoformat(str(state.data["anchor_date"]))


def _answers(state: State) -> dict[str, Any]:
    return dict(state.data.get("answers", {}))


def _ask(q: Question, anchor_date: dt.date, ctx: Context, patient: PatientFacts) -> Ask:
    when = ctx.pickup_on(anchor_date)  # the day the patient comes, off closed days
    if not q.texts:
        return Ask(q.prompt, {"date": when}, expects=q.kind)
    # A pharmacy's own words are not in the catalog: pick them here, in the language the
    # patient is written to (theirs when the pharmacy offers it, else English).
    languages = _languages(ctx, patient)
    text = in_language(q.texts, languages)
    if q.kind == "choice":
        labels = tuple(in_language(c.texts, languages) for c in q.choices)
        return Ask(text, {"date": when, "options": labels}, "option", choices=labels)
    return Ask(text, {"date": when}, expects=q.kind)


def _languages(ctx: Context, patient: PatientFacts) -> tuple[str, ...]:
    offered = {tag for tag, _ in ctx.languages}
    tag = patient.language
    wanted = (tag, tag.split("-")[0])
    return tuple(t for t in wanted if not offered or t in offered)


def start(state: State, ctx: Context, patient: PatientFacts, anchor_date: dt.date) -> Turn:
    first = _definition(ctx).next_question(None, {})
    assert first is not None  # a definition always has a question
    new_state = State(
        dialog=NAME,
        step=first.id,
        subject=patient.id,
        data={"anchor_date": anchor_date.isoformat(), "answers": {}},
    )
    intro = Say(
        prompts.CHECK_IN_INTRO, {**base_params(ctx, patient), "date": ctx.pickup_on(anchor_date)}
    )
    return Turn(
        state=new_state,
        replies=(intro, _ask(first, anchor_date, ctx, patient)),
        effects=(SaveCheckIn(patient.id, anchor_date, _definition(ctx).key, "open", {}),),
    )


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    if state.step == DELIVERY_STEP:
        return (_DELIVERY_ASK,)
    q = _definition(ctx).question(str(state.step))
    return (_ask(q, _anchor_date(state), ctx, patient),)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    definition = _definition(ctx)
    if state.step == DELIVERY_STEP:
        return _delivery_answer(state, event, ctx, patient)
    q = definition.question(str(state.step))
    anchor_date = _anchor_date(state)
    value = read_answer(q, event, ctx)
    if value is None:
        return unclear(
            state,
            ctx,
            patient,
            _ask(q, anchor_date, ctx, patient),
            f"check-in question '{q.id}'",
            on_give_up=lambda: (
                SaveCheckIn(
                    patient.id,
                    anchor_date,
                    definition.key,
                    "flagged",
                    _answers(state),
                    flags=(*flags_of(definition, _answers(state)), "unclear_answer"),
                ),
            ),
        )
    answers = {**_answers(state), q.id: value}
    following = definition.next_question(q.id, answers)
    if following is not None:
        return Turn(
            state=state.at(following.id, answers=answers),
            replies=(_ask(following, anchor_date, ctx, patient),),
            effects=(SaveCheckIn(patient.id, anchor_date, definition.key, "open", answers),),
        )
    if patient.delivery:
        # Delivery: the address on file is confirmed without ever writing it in a text.
        return Turn(
            state=state.at(DELIVERY_STEP, answers=answers),
            replies=(_DELIVERY_ASK,),
            effects=(SaveCheckIn(patient.id, anchor_date, definition.key, "open", answers),),
        )
    return _finish(state, ctx, patient, definition, anchor_date, answers)


def read_answer(q: Question, event: Event, ctx: Context) -> Any:
    """The answer in stored form, or None when it is unclear."""
    if q.kind == "yes_no":
        said = read_yes_no(event, ctx)
        return None if said is None else ("yes" if said else "no")
    if q.kind == "number":
        said_number = read_number(event, ctx)
        ok = said_number is not None and q.minimum <= said_number <= q.maximum
        return said_number if ok else None
    if q.kind == "choice":
        return _read_choice(q, event, ctx)
    if q.kind == "text_or_no":
        text = written(event)
        if read_yes_no(event, ctx) is False or (text and yes_or_no(text, ctx.vocab) is False):
            return "no"
        return text or None
    # date_confirm: yes keeps the date; a day of the month asks to move it; no needs a call.
    said = read_yes_no(event, ctx)
    if said is True:
        return "yes"
    day = read_number(event, ctx)
    if day is not None and 1 <= day <= 31:
        return {"day": day}
    if said is False:
        return "no"
    return None


def _read_choice(q: Question, event: Event, ctx: Context) -> str | None:
    """A choice by its keypad position (1, 2, ...), its number, or its words in any language."""
    if isinstance(event, Text):
        said = _plain(event.body)
        for c in q.choices:
            if said == _plain(c.id) or any(said == _plain(text) for _, text in c.texts):
                return c.id
    if isinstance(event, Digits | Text):
        position = read_number(event, ctx)
        if position is not None and 1 <= position <= len(q.choices):
            return q.choices[position - 1].id
    return None


def _plain(words: str) -> str:
    return " ".join(words.casefold().replace("_", " ").strip(" .!?¡¿").split())


def flags_of(definition: Assessment, answers: dict[str, Any]) -> tuple[str, ...]:
    flagged = []
    for q in definition.questions:
        if q.id not in answers:
            continue
        value = answers[q.id]
        if (
            (q.flag in ("yes", "no") and value == q.flag)
            or (q.flag == "text" and value != "no")
            or (q.flag == "change" and value != "yes")
            or (q.flag == "answer" and value in q.flag_answers)
            or (q.flag == "below" and isinstance(value, int) and value < q.flag_limit)
            or (q.flag == "above" and isinstance(value, int) and value > q.flag_limit)
        ):
            flagged.append(q.id)
    return tuple(flagged)


def _finish(
    state: State,
    ctx: Context,
    patient: PatientFacts,
    definition: Assessment,
    anchor_date: dt.date,
    answers: dict[str, Any],
) -> Turn:
    flags = flags_of(definition, answers)
    ready = prompts.CHECK_IN_READY_DELIVERY if patient.delivery else prompts.CHECK_IN_READY
    if not flags:
        clear = Turn(
            state=state.idle(),
            replies=(Say(ready, {"date": ctx.pickup_on(anchor_date)}),),
            effects=(SaveCheckIn(patient.id, anchor_date, definition.key, "ready", answers),),
        )
        return services.offer(state, ctx, patient, anchor_date, clear)
    reasons = "; ".join(definition.question(f).flag_reason for f in flags)
    return Turn(
        state=state.idle(),
        replies=(Say(prompts.CHECK_IN_FLAGGED),),
        effects=(
            SaveCheckIn(patient.id, anchor_date, definition.key, "flagged", answers, flags),
            OpenReviewItem(
                kind="flagged_check_in",
                patient_id=patient.id,
                flagged=True,
                summary=f"Check-in for the {anchor_date:%b %d, %Y} pickup needs review: {reasons}. "
                "The fill is on hold.",
                details={"answers": answers, "flags": list(flags)},
                check_in_anchor_date=anchor_date,
            ),
        ),
    )


def _delivery_answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    """YES keeps the address on file; NO asks staff to call (the address is never texted)."""
    definition = _definition(ctx)
    anchor_date = _anchor_date(state)
    said = read_yes_no(event, ctx)
    if said is None:
        return unclear(state, ctx, patient, _DELIVERY_ASK, "delivery address")
    answers = {**_answers(state), DELIVERY_STEP: "yes" if said else "no"}
    finished = _finish(state, ctx, patient, definition, anchor_date, answers)
    if said:
        return finished
    call = OpenReviewItem(
        kind="call_back",
        patient_id=patient.id,
        summary=f"The patient wants delivery for the {anchor_date:%b %d, %Y} pickup but says "
        "the address on file is not right. Please call them to confirm the address.",
        details={"anchor_date": anchor_date.isoformat(), "delivery_address": "no"},
    )
    return Turn(
        state=finished.state,
        replies=(Say(prompts.CHECK_IN_DELIVERY_CALL), *finished.replies),
        effects=(*finished.effects, call),
    )
