"""A phone shared by several patients: ask who the conversation is about, by first name
(and by year of birth when two of them share a first name), and switch on request."""

from __future__ import annotations

import re
from dataclasses import replace

from dialogs import prompts
from dialogs.common import unclear
from dialogs.context import Context, PatientFacts
from dialogs.parse import normalize
from dialogs.state import State
from dialogs.turn import Ask, Digits, Event, Reply, Say, Text, Turn

NAME = "who"

# "this is about Linda now", "it's for Linda", "es sobre Linda", "ahora es para Linda",
# "soy Linda": a request to talk about someone else on this phone (after `normalize`).
_SWITCH = re.compile(
    r"^(?:now |ahora )?"
    r"(?:(?:this|it|it s|its|this message|esto|esto es|es|ahora es) (?:is )?"
    r"(?:about|for|sobre|para)|this is|it s|(?:yo )?soy|habla)"
    r" (?P<who>.+?)(?: now| ahora)?$"
)


def label(patient: PatientFacts, ctx: Context) -> str:
    """The first name; with the year of birth when another patient here has the same one."""
    twins = [p for p in ctx.patients if normalize(p.first_name) == normalize(patient.first_name)]
    if len(twins) > 1 and patient.birth_year is not None:
        return f"{patient.first_name} ({patient.birth_year})"
    return patient.first_name


def _ask(ctx: Context) -> Ask:
    names = tuple(label(p, ctx) for p in ctx.patients)
    return Ask(prompts.WHO_ASK, {"names": names}, expects="choice", choices=names)


def _ask_year(ctx: Context, twins: list[PatientFacts]) -> Say:
    years = tuple(str(p.birth_year) for p in twins if p.birth_year is not None)
    return Say(prompts.WHO_ASK_YEAR, {"first_name": twins[0].first_name, "years": years})


def start(state: State, ctx: Context) -> Turn:
    return Turn(state=State(dialog=NAME, step="name"), replies=(_ask(ctx),))


def prompt(state: State, ctx: Context, patient: PatientFacts | None) -> tuple[Reply, ...]:
    if state.step == "year":
        twins = _named(normalize(str(state.data.get("first_name", ""))), ctx)
        if len(twins) > 1:
            return (_ask_year(ctx, twins),)
    return (_ask(ctx),)


def _named(said: str, ctx: Context) -> list[PatientFacts]:
    """Patients whose first name is a whole word of `said` (already normalised)."""
    # Whole words in any script: "it's for Linda", "是王伟的" (Han characters are words each).
    padded = f" {said} "
    return [p for p in ctx.patients if f" {normalize(p.first_name)} " in padded]


def _by_year(said: str, among: list[PatientFacts]) -> list[PatientFacts]:
    words = set(said.split())
    return [p for p in among if p.birth_year is not None and str(p.birth_year) in words]


def _candidates(said: str, ctx: Context) -> list[PatientFacts]:
    named = _named(said, ctx)
    if len(named) > 1:
        return _by_year(said, named) or named
    return named or _by_year(said, list(ctx.patients))


def chosen(event: Event, ctx: Context) -> PatientFacts | None:
    """The patient named in the answer, by first name (and year) or by keypad position."""
    if isinstance(event, Digits):
        index = int(event.digits.strip("#*") or 0) - 1 if event.digits.strip("#*").isdigit() else -1
        return ctx.patients[index] if 0 <= index < len(ctx.patients) else None
    if not isinstance(event, Text):
        return None
    matches = _candidates(normalize(event.body), ctx)
    return matches[0] if len(matches) == 1 else None


def switch(text: str, ctx: Context, current: int | None) -> PatientFacts | None:
    """Someone else on this phone, when the text asks to talk about them now."""
    if len(ctx.patients) < 2:
        return None
    match = _SWITCH.match(normalize(text))
    if match is None:
        return None
    found = _candidates(match.group("who"), ctx)
    if len(found) != 1 or found[0].id == current:
        return None
    return found[0]


def answer(
    state: State, event: Event, ctx: Context, anyone: PatientFacts
) -> tuple[State, Turn | None]:
    """The new subject, or a turn that re-asks (or hands over to staff)."""
    patient = chosen(event, ctx)
    if patient is not None:
        return replace(state.idle(), subject=patient.id), None
    if isinstance(event, Text):
        named = _named(normalize(event.body), ctx)
        same_name = len(named) > 1 and len({normalize(p.first_name) for p in named}) == 1
        if same_name and state.step != "year":
            asked = state.at("year", first_name=named[0].first_name)
            return asked, Turn(state=asked, replies=(_ask_year(ctx, named),))
    return state, unclear(state, ctx, anyone, _ask(ctx), "who the message is about")
