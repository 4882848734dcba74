"""Answers to a definition's questions (the check-in, a pharmacy's assessment), read with the
safety rule of docs/UNDERSTANDING.md:

- the "clear" value (the one that lets a fill go ahead) only when the message says that and
  nothing else that could matter, and the patient is sure;
- a no joined to content on the question's topic is the flagged value;
- other content is never dropped: it answers a later question on its topic, or travels with the
  answers as a note that holds the fill;
- unsure: one specific question again, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs import prompts
from dialogs.assessment import Assessment, Question
from dialogs.common import KEY_NO, KEY_YES, read_number
from dialogs.context import Context
from dialogs.reading import Asked, Back, Reading, read
from dialogs.turn import Ask, Digits, Event, Reply, Say, Text

NOTES = "notes"  # answers[NOTES]: what else the patient wrote, for the pharmacist
NOTES_REASON = "wrote something more for the pharmacist with an answer"

_CLARIFY = {
    "hospital": prompts.CLARIFY_HOSPITAL,
    "changes": prompts.CLARIFY_CHANGES,
    "missed_doses": prompts.CLARIFY_MISSED_DOSES,
}
_MEANING = {
    "hospital": prompts.MEANING_HOSPITAL,
    "changes": prompts.MEANING_CHANGES,
    "missed_doses": prompts.MEANING_MISSED_DOSES,
}
_NOTED = {
    ("hospital", "yes"): prompts.NOTED_HOSPITAL_YES,
    ("hospital", "no"): prompts.NOTED_HOSPITAL_NO,
    ("changes", "yes"): prompts.NOTED_CHANGES_YES,
    ("changes", "no"): prompts.NOTED_CHANGES_NO,
    ("missed_doses", "yes"): prompts.NOTED_MISSED_DOSES_YES,
    ("missed_doses", "no"): prompts.NOTED_MISSED_DOSES_NO,
}


@dataclass(frozen=True)
class Understood:
    value: Any = None  # the answer as stored; None: ask again
    back: Back | None = None  # a question back to answer first
    others: Mapping[str, Any] = field(default_factory=dict)  # later question id -> answer
    notes: tuple[str, ...] = ()


def asked(q: Question, this_year: int | None = None) -> Asked:
    return Asked(q.kind, q.about, q.topic_words, this_year)


def clear_value(q: Question) -> Any:
    """The answer that lets the fill go ahead without a pharmacist, if the question has one."""
    if q.kind == "yes_no":
        return {"yes": "no", "no": "yes"}.get(q.flag)
    if q.kind == "text_or_no":
        return "no"
    if q.kind == "date_confirm":
        return "yes"
    return None


def understand(
    q: Question,
    event: Event,
    ctx: Context,
    definition: Assessment,
    answers: Mapping[str, Any],
    confirming: dt.date | None = None,
) -> Understood:
    """What `event` answers to `q`. `confirming`: the date a date_confirm question asks about,
    so naming its own day ("see you on the 15th") confirms it instead of asking to move it."""
    if isinstance(event, Digits):
        return Understood(_keyed(q, event, ctx))
    if not isinstance(event, Text):
        return Understood()
    if q.kind == "choice":
        return Understood(read_choice(q, event, ctx))
    reading = read(event.body, asked(q, ctx.today.year), ctx.vocab)
    if reading.said is None and reading.question_back is not None:
        return Understood(back=reading.question_back)
    others, notes = _others(q, reading, definition, answers)
    value = _value(q, reading)
    if confirming is not None and value == {"day": confirming.day}:
        value = "yes"  # the day asked about: kept, not moved (and only on a sure reading)
    if value is not None and value == clear_value(q) and not reading.sure:
        value = None  # "I don't think so" is not a no
    if q.kind == "yes_no" and q.flag == "never" and not reading.sure:
        value = None
    return Understood(value, None, others, notes)


def _value(q: Question, r: Reading) -> Any:
    if q.kind == "yes_no":
        return r.said if r.said in ("yes", "no") else None
    if q.kind == "text_or_no":
        if r.said == "no":
            return "no"
        return r.value if r.said == "message" else None
    if q.kind == "number":
        ok = r.said == "number" and isinstance(r.value, int) and q.minimum <= r.value <= q.maximum
        return r.value if ok else None
    # date_confirm: yes keeps the date; a day of the month asks to move it; no needs a call.
    if r.said == "day" and isinstance(r.value, int) and 1 <= r.value <= 31:
        return {"day": r.value}
    return r.said if r.said in ("yes", "no") else None


def _others(
    q: Question, r: Reading, definition: Assessment, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Answers to later questions on their topics; what fits none travels as a note."""
    ids = [x.id for x in definition.questions]
    later = ids[ids.index(q.id) + 1 :]
    others: dict[str, Any] = {}
    notes = list(r.notes)
    for other in r.others:
        target = next(
            (
                x
                for x in definition.questions
                if x.about == other.topic and x.id in later and x.id not in answers
            ),
            None,
        )
        if target is not None and target.kind == "yes_no" and target.id not in others:
            others[target.id] = other.value
        elif other.value == "yes":
            notes.append(other.evidence)  # news on a question already answered: never dropped
    return others, tuple(dict.fromkeys(notes))


def _keyed(q: Question, event: Digits, ctx: Context) -> Any:
    key = event.digits.strip("#*")
    said = {KEY_YES: "yes", KEY_NO: "no"}.get(key)
    if q.kind == "yes_no":
        return said
    if q.kind == "number":
        n = read_number(event, ctx)
        return n if n is not None and q.minimum <= n <= q.maximum else None
    if q.kind == "choice":
        return read_choice(q, event, ctx)
    if q.kind == "text_or_no":
        return "no" if said == "no" else None
    if said == "yes":
        return "yes"
    day = read_number(event, ctx)
    if day is not None and 1 <= day <= 31:
        return {"day": day}
    return "no" if said == "no" else None


def clarifying(q: Question, ask: Ask) -> tuple[Reply, ...]:
    """The one specific question asked after an unclear answer."""
    topic = q.about
    if q.kind == "yes_no" and topic in _CLARIFY and not q.texts:
        return (Ask(_CLARIFY[topic], ask.params, expects="yes_no"),)
    return (Say(prompts.JUST_TO_BE_SURE), ask)


def meaning(q: Question, ask: Ask) -> tuple[Reply, ...]:
    """ "What do you mean?": the question in other words (then it is asked again)."""
    topic = q.about
    if topic in _MEANING and not q.texts:
        return (Say(_MEANING[topic]),)
    if q.kind == "text_or_no" and not q.texts:
        return (Say(prompts.MEANING_ANYTHING_ELSE),)
    if q.kind == "date_confirm" and not q.texts:
        return (Say(prompts.MEANING_STILL_COMING, ask.params),)
    return ()


def noted(definition: Assessment, others: Mapping[str, Any]) -> tuple[Reply, ...]:
    """One line for each other answer taken from the same message."""
    lines = []
    for qid, value in others.items():
        msgid = _NOTED.get((definition.question(qid).about or "", str(value)))
        if msgid is not None:
            lines.append(Say(msgid))
    return tuple(lines)


def read_choice(q: Question, event: Event, ctx: Context) -> str | None:
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
