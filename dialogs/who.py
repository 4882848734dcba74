"""A phone shared by several patients: ask who the conversation is about, by first name."""

from __future__ import annotations

from dataclasses import replace

from dialogs import prompts
from dialogs.common import unclear
from dialogs.context import Context, PatientFacts
from dialogs.parse import normalize
from dialogs.state import State
from dialogs.turn import Ask, Event, Reply, Text, Turn

NAME = "who"


def _ask(ctx: Context) -> Ask:
    names = tuple(p.first_name for p in ctx.patients)
    return Ask(prompts.WHO_ASK, {"names": names}, expects="choice", choices=names)


def start(state: State, ctx: Context) -> Turn:
    return Turn(state=State(dialog=NAME, step="name"), replies=(_ask(ctx),))


def prompt(state: State, ctx: Context, patient: PatientFacts | None) -> tuple[Reply, ...]:
    return (_ask(ctx),)


def chosen(event: Event, ctx: Context) -> PatientFacts | None:
    """The patient named in the answer, by first name or by keypad position."""
    from dialogs.turn import Digits

    if isinstance(event, Digits):
        index = int(event.digits.strip("#*") or 0) - 1 if event.digits.strip("#*").isdigit() else -1
        return ctx.patients[index] if 0 <= index < len(ctx.patients) else None
    if not isinstance(event, Text):
        return None
    # Whole words in any script: "it's for Linda", "是王伟的" (Han characters are words each).
    said = f" {normalize(event.body)} "
    matches = [p for p in ctx.patients if f" {normalize(p.first_name)} " in said]
    return matches[0] if len(matches) == 1 else None


def answer(
    state: State, event: Event, ctx: Context, anyone: PatientFacts
) -> tuple[State, Turn | None]:
    """The new subject, or a turn that re-asks (or hands over to staff)."""
    patient = chosen(event, ctx)
    if patient is None:
        return state, unclear(state, ctx, anyone, _ask(ctx), "who the message is about")
    return replace(state.idle(), subject=patient.id), None
