"""The check-in before each anchor date, run from a question definition.

Any answer a question flags on holds the fill for a pharmacist; all clear marks it ready.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Literal

from dialogs import answering, prompts, services
from dialogs.assessment import Assessment, Question, in_language
from dialogs.common import answer_back, base_params, read_yes_no, unclear, written
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, Event, OpenReviewItem, Reply, SaveCheckIn, Say, Turn

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
    ask = _ask(q, anchor_date, ctx, patient)
    answers = _answers(state)
    when = ctx.pickup_on(anchor_date) if q.kind == "date_confirm" else None
    got = answering.understand(q, event, ctx, definition, answers, confirming=when)
    if got.back is not None:
        told = answer_back(got.back, ctx, patient, answering.meaning(q, ask))
        return Turn(state=state, replies=(*told, ask))
    text = written(event)
    words = {**dict(state.data.get("words", {}))}
    notes = [*state.data.get(answering.NOTES, ()), *got.notes]
    for qid, value in got.others.items():
        answers[qid] = value
        words[qid] = text
    told = answering.noted(definition, got.others)
    if got.value is None:
        # Answers to other questions and notes are kept; this one is asked again,
        # specifically, and a second miss goes to a pharmacist as before.
        kept = replace(
            state, data={**state.data, "answers": answers, "words": words, answering.NOTES: notes}
        )
        again = unclear(
            kept,
            ctx,
            patient,
            ask,
            f"check-in question '{q.id}'",
            on_give_up=lambda: (
                _save(
                    patient,
                    anchor_date,
                    definition,
                    "flagged",
                    _with_notes(answers, notes),
                    words,
                    (*flags_of(definition, _with_notes(answers, notes)), "unclear_answer"),
                ),
            ),
            wrote=text,
            clarifying=answering.clarifying(q, ask),
        )
        saved = (_save(patient, anchor_date, definition, "open", answers, words),)
        return replace(
            again,
            replies=(*told, *again.replies),
            effects=(*(saved if got.others and again.state.dialog else ()), *again.effects),
        )
    answers[q.id] = got.value
    if text:
        words[q.id] = text
    if got.notes:
        told = (*told, Say(prompts.NOTE_PASSED))
    following = _following(definition, q.id, answers)
    data = {"answers": answers, "words": words, answering.NOTES: notes}
    if following is not None:
        return Turn(
            state=state.at(following.id, **data),
            replies=(*told, _ask(following, anchor_date, ctx, patient)),
            effects=(_save(patient, anchor_date, definition, "open", answers, words),),
        )
    if patient.delivery:
        # Delivery: the address on file is confirmed without ever writing it in a text.
        return Turn(
            state=state.at(DELIVERY_STEP, **data),
            replies=(*told, _DELIVERY_ASK),
            effects=(_save(patient, anchor_date, definition, "open", answers, words),),
        )
    finished = _finish(
        state, ctx, patient, definition, anchor_date, _with_notes(answers, notes), words
    )
    return replace(finished, replies=(*told, *finished.replies))


def _following(definition: Assessment, after: str, answers: dict[str, Any]) -> Question | None:
    """The next question still open (one answered in an earlier message is not asked)."""
    following = definition.next_question(after, answers)
    while following is not None and following.id in answers:
        following = definition.next_question(following.id, answers)
    return following


def _with_notes(answers: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    return {**answers, answering.NOTES: list(notes)} if notes else dict(answers)


def _save(
    patient: PatientFacts,
    anchor_date: dt.date,
    definition: Assessment,
    status: Literal["open", "flagged", "ready"],
    answers: dict[str, Any],
    words: dict[str, str],
    flags: tuple[str, ...] = (),
) -> SaveCheckIn:
    return SaveCheckIn(
        patient.id, anchor_date, definition.key, status, answers, flags, words=dict(words)
    )


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
    if answers.get(answering.NOTES):
        flagged.append(answering.NOTES)
    return tuple(flagged)


def reason_of(definition: Assessment, flag: str) -> str:
    """Staff words for a flag: the question's reason, or the note's."""
    if flag == answering.NOTES:
        return answering.NOTES_REASON
    return definition.question(flag).flag_reason


def _finish(
    state: State,
    ctx: Context,
    patient: PatientFacts,
    definition: Assessment,
    anchor_date: dt.date,
    answers: dict[str, Any],
    words: dict[str, str] | None = None,
) -> Turn:
    words = dict(words or {})
    flags = flags_of(definition, answers)
    ready = _ready_prompt(patient, anchor_date)
    if not flags:
        clear = Turn(
            state=state.idle(),
            replies=(Say(ready, {"date": ctx.pickup_on(anchor_date)}),),
            effects=(_save(patient, anchor_date, definition, "ready", answers, words),),
        )
        return services.offer(state, ctx, patient, anchor_date, clear)
    reasons = "; ".join(reason_of(definition, f) for f in flags)
    return Turn(
        state=state.idle(),
        replies=(Say(prompts.CHECK_IN_FLAGGED),),
        effects=(
            _save(patient, anchor_date, definition, "flagged", answers, words, flags),
            OpenReviewItem(
                kind="flagged_check_in",
                patient_id=patient.id,
                flagged=True,
                summary=f"Check-in for the {anchor_date:%b %d, %Y} pickup needs review: {reasons}. "
                "The fill is on hold.",
                details={"answers": answers, "flags": list(flags), "words": words},
                check_in_anchor_date=anchor_date,
            ),
        ),
    )


def _ready_prompt(patient: PatientFacts, anchor_date: dt.date) -> str:
    return ready_prompt(bool(patient.delivery), anchor_date in patient.renewal_pending)


def ready_prompt(delivery: bool, renewing: bool) -> str:
    """The thanks once the fill may go ahead (an all-clear check-in, or a pharmacist's
    approval): "ready" only when no prescription of the pickup waits on a renewal from the
    prescriber (then the patient is told we are asking, naming no medicine); "we will deliver"
    to a patient who has their medicines delivered."""
    return _READY[delivery, renewing]


# (delivery, renewal pending) -> the thanks.
_READY = {
    (False, False): prompts.CHECK_IN_READY,
    (False, True): prompts.CHECK_IN_READY_RENEWAL,
    (True, False): prompts.CHECK_IN_READY_DELIVERY,
    (True, True): prompts.CHECK_IN_READY_DELIVERY_RENEWAL,
}


def _delivery_answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    """YES keeps the address on file; NO asks staff to call (the address is never texted)."""
    definition = _definition(ctx)
    anchor_date = _anchor_date(state)
    said = read_yes_no(event, ctx)
    if said is None:
        return unclear(state, ctx, patient, _DELIVERY_ASK, "delivery address", wrote=written(event))
    answers = {**_answers(state), DELIVERY_STEP: "yes" if said else "no"}
    answers = _with_notes(answers, list(state.data.get(answering.NOTES, ())))
    words = dict(state.data.get("words", {}))
    if written(event):
        words[DELIVERY_STEP] = written(event)
    finished = _finish(state, ctx, patient, definition, anchor_date, answers, words)
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
