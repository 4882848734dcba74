"""A pharmacy's standalone assessment (a flu-shot offer, a side-effect survey), sent on its
own rather than before a pickup.

It runs a question definition (dialogs/assessment.py) as the check-in does, and reads and
flags answers the same way; its answers are saved under the definition's name and version
(SaveAssessment), and flagged answers open a review item of kind "assessment".

It never takes over another dialog: sent while anything else waits for an answer on the
phone (an invitation, a check-in, "who is this about", the language menu, another
assessment), it waits in the engine's queue and starts when that is done. A check-in or an
invitation that starts while an assessment waits goes first, and the assessment resumes
after it (dialogs/engine.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from dialogs import answering, prompts
from dialogs.assessment import Assessment, Question, in_language
from dialogs.check_in import flags_of, reason_of  # answers flagged as a check-in's
from dialogs.common import answer_back, base_params, unclear, written
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, Effect, Event, OpenReviewItem, Reply, SaveAssessment, Say, Turn

NAME = "assessment"


def start_params(patient_id: int, key: str, sending: str) -> dict[str, Any]:
    """What a Start("assessment", ...) carries: the patient, "name@version", which sending."""
    return {"patient_id": patient_id, "assessment": key, "sending": sending}


def waiting(patient_id: int, key: str, sending: str) -> SaveAssessment:
    return SaveAssessment(patient_id, key, sending, "waiting", {})


def start(state: State, ctx: Context, patient: PatientFacts, params: Mapping[str, Any]) -> Turn:
    key, sending = str(params["assessment"]), str(params["sending"])
    definition = ctx.assessment(key)
    if definition is None:
        # The runtime hands in every definition it starts; a missing one is its bug.
        raise ValueError(f"assessment {key!r} is not in the context")
    first = definition.next_question(None, {})
    assert first is not None  # a definition always has a question
    date = patient.next_anchor_date or ctx.today
    new_state = State(
        dialog=NAME,
        step=first.id,
        subject=patient.id,
        data={"assessment": key, "sending": sending, "date": date.isoformat(), "answers": {}},
    )
    intro = Say(prompts.ASSESSMENT_INTRO, base_params(ctx, patient))
    return Turn(
        state=new_state,
        replies=(intro, _ask(first, date, ctx, patient)),
        effects=(SaveAssessment(patient.id, key, sending, "open", {}),),
    )


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    q = _definition(state, ctx).question(str(state.step))
    return (_ask(q, _date(state), ctx, patient),)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    definition = _definition(state, ctx)
    q = definition.question(str(state.step))
    key, sending = definition.key, str(state.data["sending"])
    answers = dict(state.data.get("answers", {}))
    ask = _ask(q, _date(state), ctx, patient)
    got = answering.understand(q, event, ctx, definition, answers)
    if got.back is not None:
        told = answer_back(got.back, ctx, patient, answering.meaning(q, ask))
        return Turn(state=state, replies=(*told, ask))
    text = written(event)
    words = dict(state.data.get("words", {}))
    notes = [*state.data.get(answering.NOTES, ()), *got.notes]
    for qid, other in got.others.items():
        answers[qid], words[qid] = other, text
    value = got.value
    if value is None:
        state = replace(
            state, data={**state.data, "answers": answers, "words": words, answering.NOTES: notes}
        )
        return unclear(
            state,
            ctx,
            patient,
            ask,
            f"question '{q.id}' of the {definition.id} assessment",
            on_give_up=lambda: (
                SaveAssessment(
                    patient.id,
                    key,
                    sending,
                    "flagged",
                    _with_notes(answers, notes),
                    (*flags_of(definition, _with_notes(answers, notes)), "unclear_answer"),
                    words=words,
                ),
            ),
            wrote=text,
            clarifying=answering.clarifying(q, ask),
        )
    if text:
        words[q.id] = text
    answers[q.id] = value
    told = (Say(prompts.NOTE_PASSED),) if got.notes else ()
    following = definition.next_question(q.id, answers)
    while following is not None and following.id in answers:
        following = definition.next_question(following.id, answers)
    if following is not None:
        return Turn(
            state=state.at(following.id, answers=answers, words=words, **{answering.NOTES: notes}),
            replies=(*told, _ask(following, _date(state), ctx, patient)),
            effects=(SaveAssessment(patient.id, key, sending, "open", answers, words=words),),
        )
    answers = _with_notes(answers, notes)
    flags = flags_of(definition, answers)
    if not flags:
        return Turn(
            state=state.idle(),
            replies=(*told, Say(prompts.ASSESSMENT_THANKS)),
            effects=(SaveAssessment(patient.id, key, sending, "done", answers, words=words),),
        )
    reasons = "; ".join(reason_of(definition, f) for f in flags)
    return Turn(
        state=state.idle(),
        replies=(*told, Say(prompts.ASSESSMENT_FLAGGED)),
        effects=(
            SaveAssessment(patient.id, key, sending, "flagged", answers, flags, words=words),
            OpenReviewItem(
                kind="assessment",
                patient_id=patient.id,
                flagged=True,
                summary=f"The patient's answers to the {definition.id} assessment "
                f"(version {definition.version}) need review: {reasons}.",
                details={
                    "assessment": key,
                    "sending": sending,
                    "answers": answers,
                    "flags": list(flags),
                },
            ),
        ),
    )


def stopped(state: State, dropped: Iterable[Mapping[str, Any]]) -> tuple[Effect, ...]:
    """The patient opted out: the assessment they were in, and those waiting, end here."""
    effects: list[Effect] = []
    if state.dialog == NAME and state.subject is not None:
        effects.append(
            SaveAssessment(
                state.subject,
                str(state.data["assessment"]),
                str(state.data["sending"]),
                "stopped",
                dict(state.data.get("answers", {})),
            )
        )
    for entry in dropped:
        if entry.get("start") == NAME:
            effects.append(
                SaveAssessment(
                    int(entry["patient_id"]),
                    str(entry["assessment"]),
                    str(entry["sending"]),
                    "stopped",
                    {},
                )
            )
    return tuple(effects)


def queued(entries: Iterable[Mapping[str, Any]], sending: str, patient_id: int) -> bool:
    return any(
        e.get("start") == NAME and e.get("sending") == sending and e.get("patient_id") == patient_id
        for e in entries
    )


def queue_entry(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "start": NAME,
        **start_params(
            int(params["patient_id"]), str(params["assessment"]), str(params["sending"])
        ),
    }


def _definition(state: State, ctx: Context) -> Assessment:
    key = str(state.data["assessment"])
    definition = ctx.assessment(key)
    if definition is None:
        raise ValueError(f"assessment {key!r} is not in the context")
    return definition


def _date(state: State) -> dt.date:
    return dt.date.fromisoformat(str(state.data["date"]))


def _ask(q: Question, date: dt.date, ctx: Context, patient: PatientFacts) -> Ask:
    """A pharmacy's own words, in the patient's language when the file has it."""
    if not q.texts:
        return Ask(q.prompt, {"date": date}, expects=q.kind)
    offered = {tag for tag, _ in ctx.languages}
    wanted = (patient.language, patient.language.split("-")[0])
    languages = tuple(t for t in wanted if not offered or t in offered)
    text = in_language(q.texts, languages)
    if q.kind == "choice":
        labels = tuple(in_language(c.texts, languages) for c in q.choices)
        return Ask(text, {"date": date, "options": labels}, "option", choices=labels)
    return Ask(text, {"date": date}, expects=q.kind)


def _with_notes(answers: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    return {**answers, answering.NOTES: list(notes)} if notes else dict(answers)
