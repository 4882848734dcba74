"""Standalone assessments between the store and the dialogs: which definitions a
conversation needs, saving the answers, sending one to patients, and showing answers in
English to staff.

Definitions are stored per version (store/assessment_responses.py); a conversation names
the version it was started with ("flu_offer@2"), so an edit never changes a question a
patient is in the middle of answering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.program.words import kept
from dialogs.assessment import Assessment, Question, in_language
from dialogs.assessment_file import standalone_for
from dialogs.turn import Event, SaveAssessment, Start
from store import assessment_responses as store
from store.assessment_responses import AssessmentResponse, ResponseStatus

# A response moves forward only: a late "waiting" never reopens an answered assessment.
_RANK = {
    ResponseStatus.WAITING: 0,
    ResponseStatus.OPEN: 1,
    ResponseStatus.FLAGGED: 2,
    ResponseStatus.DONE: 2,
    ResponseStatus.STOPPED: 2,
}


def _keys(value: Any) -> Iterator[str]:
    """Every "assessment" the state names: the one running, queued ones, resumed ones, the
    one the language menu will start."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == "assessment" and isinstance(v, str):
                yield v
            else:
                yield from _keys(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _keys(v)


def _split(key: str) -> tuple[str, int] | None:
    name, _, version = key.rpartition("@")
    return (name, int(version)) if name and version.isdigit() else None


def in_play(
    session: Session, pharmacy_id: int, state: Mapping[str, Any], event: Event
) -> tuple[Assessment, ...]:
    """The definitions this step may need, parsed from the versions stored."""
    keys = set(_keys(state))
    if isinstance(event, Start):
        keys |= set(_keys(dict(event.params)))
    pairs = {pair for key in keys if (pair := _split(key)) is not None}
    texts = store.definition_texts(session, pharmacy_id, pairs)
    return tuple(standalone_for(text) for text in texts.values())


def save_response(
    session: Session, pharmacy_id: int, effect: SaveAssessment, now: dt.datetime, said: str = ""
) -> None:
    """Save the answers so far, each with the patient's words (`said`: the message this turn
    read, for answers the dialog gave no words of their own)."""
    response = store.response_for(session, effect.patient_id, effect.sending)
    status = ResponseStatus(effect.status)
    if response is None:
        pair = _split(effect.definition)
        assert pair is not None
        response = AssessmentResponse(
            pharmacy_id=pharmacy_id,
            patient_id=effect.patient_id,
            name=pair[0],
            version=pair[1],
            sending=effect.sending,
            status=status,
            answers={},
            flags=[],
            words={},
            sent_at=now,
        )
        session.add(response)
    elif _RANK[status] < _RANK[response.status]:
        return
    response.status = status
    if effect.answers or status != ResponseStatus.WAITING:
        response.words = kept(response.words, effect.words, effect.answers, response.answers, said)
        response.answers = dict(effect.answers)
    response.flags = list(effect.flags)
    finished = _RANK[status] == 2
    response.completed_at = now if finished else None
    session.flush()


def sending_for(key: str, day: dt.date) -> str:
    """One sending a day: running `send` twice the same day reaches nobody twice."""
    return f"{key}:{day.isoformat()}"


# ------------------------------------------------------------------ for staff


@dataclass(frozen=True)
class EnglishAnswer:
    question: str
    answer: str
    flagged: bool
    id: str = ""  # the question's id (its words are kept under it)


def english_answers(
    session: Session, pharmacy_id: int, details: Mapping[str, Any]
) -> list[EnglishAnswer]:
    """A flagged assessment's answers with the English words of the version it was asked in."""
    key = str(details.get("assessment", ""))
    pair = _split(key)
    answers = dict(details.get("answers") or {})
    flags = set(details.get("flags") or [])
    texts = store.definition_texts(session, pharmacy_id, {pair}) if pair else {}
    definition = standalone_for(texts[key]) if key in texts else None
    lines = []
    for qid, value in answers.items():
        question, shown = qid.replace("_", " ").capitalize(), str(value)
        q = _question(definition, qid)
        if q is not None:
            question = q.prompt.replace("%(date)s", "the pickup date")
            labels = {c.id: in_language(c.texts, ("en",)) for c in q.choices}
            shown = labels.get(str(value), shown)
        if value in ("yes", "no"):
            shown = str(value).capitalize()
        lines.append(EnglishAnswer(question, shown, qid in flags, qid))
    return lines


def _question(definition: Assessment | None, qid: str) -> Question | None:
    if definition is None:
        return None
    try:
        return definition.question(qid)
    except KeyError:
        return None
