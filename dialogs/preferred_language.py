"""The patient's language, when the pharmacy's records do not say: a numbered menu first.

The menu lists the languages this pharmacy offers, each in its own name and script ("1 English,
2 Español, 3 简体中文 ..."). What the menu interrupted (an invitation, a check-in, the patient's
own first message) carries on in the chosen language, in the same turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from dialogs import prompts
from dialogs.context import Context, PatientFacts
from dialogs.parse import language_choice, number
from dialogs.state import State
from dialogs.turn import (
    Digits,
    Effect,
    Event,
    OpenReviewItem,
    Reply,
    Say,
    SetLanguage,
    Start,
    Text,
    Turn,
)

NAME = "language"
FALLBACK = "en"  # after two unclear answers: the pharmacy's own language, and a call from staff

Continue = Callable[[State, Context, PatientFacts], Turn]


def needed(ctx: Context, patient: PatientFacts) -> bool:
    return not patient.language_confirmed and len(ctx.languages) > 1


def menu(ctx: Context) -> Say:
    # The list ends the sentence in every script, so it carries its own full stop.
    choices = ", ".join(f"{n} {name}" for n, (_, name) in enumerate(ctx.languages, start=1))
    choices += "."
    return Say(prompts.LANGUAGE_MENU, {"pharmacy": ctx.pharmacy_name, "choices": choices})


def start(
    state: State,
    ctx: Context,
    patient: PatientFacts,
    then: Start | None = None,
    notes: tuple[Effect, ...] = (),
) -> Turn:
    """Ask first; `then` is the dialog to open once the patient has chosen, and `notes` are
    messages for staff that should not wait for the answer."""
    data = {"then": _saved(then)} if then is not None else {}
    return Turn(
        state=State(dialog=NAME, step="choose", subject=patient.id, data=data),
        replies=(menu(ctx),),
        effects=tuple(e for e in notes if isinstance(e, OpenReviewItem)),
    )


def prompt(state: State, ctx: Context, patient: PatientFacts | None) -> tuple[Reply, ...]:
    return (menu(ctx),)


def chosen(event: Event, ctx: Context) -> str | None:
    """A language tag from a menu number, a keypad digit or a language's name."""
    if isinstance(event, Digits):
        digits = event.digits.strip("#*")
        position = int(digits) if digits.isdigit() else None
    elif isinstance(event, Text):
        named = language_choice(event.body, ctx.vocab)
        if named is not None:
            return named
        position = number(event.body, ctx.vocab)
    else:
        return None
    if position is not None and 1 <= position <= len(ctx.languages):
        return ctx.languages[position - 1][0]
    return None


def pending(state: State) -> Start | None:
    """The dialog the menu interrupted, if it interrupted one."""
    saved = state.data.get("then")
    if not isinstance(saved, Mapping):
        return None
    params: dict[str, Any] = dict(saved.get("params", {}))
    if "anchor_date" in params:
        params["anchor_date"] = dt.date.fromisoformat(str(params["anchor_date"]))
    return Start(str(saved["dialog"]), params)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts, then: Continue) -> Turn:
    language = chosen(event, ctx)
    if language is None and state.retries == 0:
        return Turn(
            state=replace(state, retries=1), replies=(Say(prompts.DIDNT_UNDERSTAND), menu(ctx))
        )
    note: tuple[Effect, ...] = ()
    was_chosen = language is not None
    if language is None:
        language = FALLBACK
        note = (
            OpenReviewItem(
                kind="call_back",
                patient_id=patient.id,
                summary="Could not tell which language the patient prefers after two tries; "
                "MedSync writes in English for now. Please call them and ask.",
                details={"dialog": NAME},
            ),
        )
    patient = replace(patient, language=language, language_confirmed=True)
    ctx = replace(ctx, patients=tuple(patient if p.id == patient.id else p for p in ctx.patients))
    carried_on = then(state, ctx, patient)
    return Turn(
        state=carried_on.state,
        replies=(Say(prompts.LANGUAGE_CHANGED), *carried_on.replies),
        effects=(SetLanguage(patient.id, language, was_chosen), *note, *carried_on.effects),
    )


def _saved(event: Start) -> dict[str, Any]:
    params = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in event.params.items()}
    return {"dialog": event.dialog, "params": params}
