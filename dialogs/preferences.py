"""The patient's preferences: pickup or delivery, calls or texts, the time of day for our
messages, and whether messages may name their medicines.

Asked once, right after the pickup day is chosen (each question skippable), and again whenever
the patient asks ("SETTINGS" in their language, or the call's menu). A whole message such as
"deliver please" or "call me instead" changes one preference at once, at any point
(`direct`). Detailed messages are a consent: a RecordConsent, append-only, latest wins.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs import preference_reading as reading
from dialogs import prompts
from dialogs.common import base_params, question_back, read_number, read_yes_no, written
from dialogs.context import Context, PatientFacts
from dialogs.parse import preference_phrase
from dialogs.state import State
from dialogs.turn import (
    Ask,
    ConsentKind,
    Effect,
    Event,
    RecordConsent,
    Reply,
    Say,
    SetPreference,
    Text,
    Turn,
)

NAME = "preferences"
MENU = "menu"
SKIP = "skip"
QUESTIONS = ("delivery", "channel", "time", "detailed")
TIMES = ("morning", "afternoon", "evening")  # 1, 2, 3 in the question

_ASKS = {
    "delivery": Ask(prompts.PREF_ASK_DELIVERY, expects="yes_no"),
    "channel": Ask(prompts.PREF_ASK_CHANNEL, expects="yes_no"),
    "time": Ask(prompts.PREF_ASK_TIME, expects="number"),
    "detailed": Ask(prompts.PREF_ASK_DETAILED, expects="yes_no"),
}
_CONFIRMATIONS = {
    ("delivery", "yes"): prompts.PREF_DELIVERY_ON,
    ("delivery", "no"): prompts.PREF_DELIVERY_OFF,
    ("channel", "call"): prompts.PREF_CHANNEL_CALL,
    ("channel", "text"): prompts.PREF_CHANNEL_TEXT,
    ("time", "morning"): prompts.PREF_TIME_MORNING,
    ("time", "afternoon"): prompts.PREF_TIME_AFTERNOON,
    ("time", "evening"): prompts.PREF_TIME_EVENING,
    ("detailed", "yes"): prompts.PREF_DETAILED_ON,
    ("detailed", "no"): prompts.PREF_DETAILED_OFF,
}


def needed(patient: PatientFacts) -> bool:
    """The enrollment's questions are offered once."""
    return not patient.preferences_asked


def _questions(patient: PatientFacts) -> tuple[str, ...]:
    # A number that cannot take texts is always called: nothing to choose.
    return tuple(q for q in QUESTIONS if q != "channel" or patient.can_text)


def start(state: State, ctx: Context, patient: PatientFacts, at_enrollment: bool = False) -> Turn:
    """The questions in order; at enrollment (after the pickup day) they are marked as asked."""
    first = _questions(patient)[0]
    intro = prompts.PREFS_INTRO if at_enrollment else prompts.PREFS_MENU_INTRO
    marked: tuple[Effect, ...] = ()
    if not patient.preferences_asked:
        marked = (SetPreference(patient.id, "asked", "yes"),)
    return Turn(
        state=State(dialog=NAME, step=first, subject=patient.id),
        replies=(Say(intro), _ASKS[first]),
        effects=marked,
    )


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    return (_ASKS[str(state.step)],)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    step = str(state.step)
    value = _read(step, event, ctx)
    if value is None and state.retries == 0:
        retried = replace(state, retries=1)
        return Turn(state=retried, replies=(Say(prompts.JUST_TO_BE_SURE), _ASKS[step]))
    effects: tuple[Effect, ...] = ()
    if value is not None and value != SKIP:
        effects = _effects(patient, step, value, written(event) or _keypad_words(event))
    # A second unclear answer passes over the question: none of them is required.
    remaining = _questions(patient)
    following = remaining[remaining.index(step) + 1 :] if step in remaining else ()
    if following:
        return Turn(state=state.at(following[0]), replies=(_ASKS[following[0]],), effects=effects)
    done = Say(prompts.PREFS_SAVED, base_params(ctx, patient))
    return Turn(state=state.idle(), replies=(done,), effects=effects)


def direct(text: str, ctx: Context, patient: PatientFacts) -> tuple[str, str] | None:
    """(name, value) for a whole message that changes one preference ("call me instead"),
    "menu" for one that asks for the questions, "skip"; None for anything else."""
    said = preference_phrase(text, ctx.vocab)
    if said is None:
        return None
    if "=" not in said:
        return (said, "")
    name, _, value = said.partition("=")
    return (name, value)


def change(
    state: State, ctx: Context, patient: PatientFacts, name: str, value: str, wording: str
) -> Turn:
    """One preference changed by a whole message, confirmed; the open question is asked again
    by the caller."""
    if name == "channel" and value == "text" and not patient.can_text:
        return Turn(state=state, replies=(Say(prompts.PREF_CHANNEL_LANDLINE),))
    stored = {"delivery": ("yes", "no"), "channel": ("text", "call"), "time": TIMES}
    if value not in stored.get(name, ()):
        return Turn(state=state)
    return Turn(
        state=state,
        replies=(Say(_CONFIRMATIONS[(name, value)]),),
        effects=_effects(patient, name, value, wording),
    )


def _effects(patient: PatientFacts, name: str, value: str, wording: str) -> tuple[Effect, ...]:
    if name == "detailed":
        on = value == "yes"
        kind: ConsentKind = "detailed_messages_on" if on else "detailed_messages_off"
        return (RecordConsent(patient.id, kind, wording, prompts.PREF_ASK_DETAILED),)
    if name == "channel":
        value = "call" if value == "yes" else "text" if value == "no" else value
    if name == "delivery":
        return (SetPreference(patient.id, "delivery", value),)
    if name == "channel":
        return (SetPreference(patient.id, "channel", value),)
    if name == "time":
        return (SetPreference(patient.id, "time", value),)
    return ()


def _read(step: str, event: Event, ctx: Context) -> str | None:
    """The answer to `step` in stored form, "skip", or None when it is unclear
    (dialogs/preference_reading.py has the rules)."""
    if isinstance(event, Text):
        said = preference_phrase(event.body, ctx.vocab)
        if said == SKIP:
            return SKIP
        if said is not None and said.startswith(f"{step}="):
            value = said.partition("=")[2]
            if step == "channel":
                return "yes" if value == "call" else "no"
            return value
        return _read_words(step, event, ctx)
    if step == "time":
        position = read_number(event, ctx)
        ok = position is not None and 1 <= position <= len(TIMES)
        return TIMES[position - 1] if ok and position is not None else None
    said_yes = read_yes_no(event, ctx)
    return None if said_yes is None else ("yes" if said_yes else "no")


def _read_words(step: str, event: Text, ctx: Context) -> str | None:
    text, vocab = event.body, ctx.vocab
    if reading.is_question(text, vocab, question_back(event, ctx)):
        return None  # "how much is delivery?" is no yes
    if step in reading.OPTIONS:
        option = reading.read_choice(step, text, vocab)
        if option is not None:
            return _OPTION_VALUES.get(option)  # "" (unclear) -> None
    if step == "time":
        part = reading.read_part_of_day(text, vocab)
        if part is not None:
            return part or None
    if reading.no_preference(text, vocab):
        return None if step == "detailed" else SKIP  # never a consent
    if step == "time":
        position = read_number(event, ctx)
        ok = position is not None and 1 <= position <= len(TIMES)
        return TIMES[position - 1] if ok and position is not None else None
    said_yes = read_yes_no(event, ctx)
    if said_yes and step == "detailed" and reading.consent_doubt(text, vocab):
        return None  # "yes but only the first letter": no consent on a guess
    return None if said_yes is None else ("yes" if said_yes else "no")


# The option named, as `_read` returns it (the channel question asks "calls instead?").
_OPTION_VALUES = {"delivery": "yes", "pickup": "no", "call": "yes", "text": "no"}


def answers_with_calls(state: State, text: str, ctx: Context) -> bool:
    """ "Call me" while the channel question is open chooses calls (it is no request for a
    pharmacist's call-back there)."""
    asked = state.dialog == NAME and state.step == "channel"
    return asked and _read("channel", Text(text), ctx) == "yes"


def _keypad_words(event: Event) -> str:
    digits = getattr(event, "digits", "")
    return f"keypad {digits}" if digits else ""
