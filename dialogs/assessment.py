"""Questions as data: the check-in, and later a pharmacy's own assessments.

A definition is checked when it is built, like python-statemachine refuses unreachable
states: duplicate ids, conditions on unknown or later questions, and flag rules that
cannot fire are refused with a sentence naming the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuestionKind = Literal["yes_no", "text_or_no", "date_confirm", "number", "choice"]
# When an answer holds the fill for a pharmacist: on "yes" (or "no"), on any written text, on
# a changed or refused pickup date, on one of `flag_answers` (choices), on a number below or
# above `flag_limit`, or never.
FlagRule = Literal["yes", "no", "text", "change", "answer", "below", "above", "never"]

_RULES_FOR_KIND: dict[QuestionKind, set[FlagRule]] = {
    "yes_no": {"yes", "no", "never"},
    "text_or_no": {"text", "never"},
    "date_confirm": {"change", "never"},
    "number": {"below", "above", "never"},
    "choice": {"answer", "never"},
}

# A pharmacy's own words, per language tag: (("en", "..."), ("es", "...")). English is always
# there; a question with texts has its English text as `prompt` too.
Texts = tuple[tuple[str, str], ...]


def in_language(texts: Texts, languages: tuple[str, ...]) -> str:
    """The first of `languages` the texts are written in, else English."""
    by_tag = dict(texts)
    for tag in languages:
        if tag in by_tag:
            return by_tag[tag]
    return by_tag["en"]


@dataclass(frozen=True)
class Choice:
    """One answer of a "choice" question: stored as `id`, said in the patient's language."""

    id: str
    texts: Texts


class DefinitionError(ValueError):
    """A question definition that cannot run; the message names the question."""


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    prompt: str  # catalog msgid of the channel-neutral question
    flag: FlagRule = "never"
    # Staff-facing words for why this answer holds the fill ("hospital or ER visit").
    flag_reason: str = ""
    # Ask only when an earlier question got this answer: ("hospital", "yes").
    ask_if: tuple[str, str] | None = None
    # A pharmacy's own question carries its words inline; built-in ones use the catalog.
    texts: Texts = ()
    choices: tuple[Choice, ...] = ()
    flag_answers: tuple[str, ...] = ()  # "answer" rule: the choice ids that hold the fill
    flag_limit: int = 0  # "below" / "above" rule: the number that is still fine
    minimum: int = 0  # a "number" answer outside these is asked again
    maximum: int = 999
    # What a yes/no question is about, for the answer reader (dialogs/reading.py): a built-in
    # topic ("hospital", "changes", "missed_doses"; a question with one of these ids has it),
    # and a pharmacy's own words ("flu shot", "vacuna") that mean the patient says yes.
    topic: str | None = None
    topic_words: tuple[str, ...] = ()

    @property
    def about(self) -> str | None:
        """The topic the reader looks for: the given one, else the id when it is built in."""
        if self.topic:
            return self.topic
        return self.id if self.id in ("hospital", "changes", "missed_doses") else None

    def answers(self) -> tuple[str, ...] | None:
        """Every stored answer this question can give, or None when it is open-ended."""
        if self.kind == "yes_no":
            return ("yes", "no")
        if self.kind == "choice":
            return tuple(c.id for c in self.choices)
        return None


@dataclass(frozen=True)
class Assessment:
    id: str
    version: int
    questions: tuple[Question, ...]

    @property
    def key(self) -> str:
        """Stored with every answer, so old answers keep their meaning after an edit."""
        return f"{self.id}@{self.version}"

    def __post_init__(self) -> None:
        if not self.questions:
            raise DefinitionError(f"assessment '{self.id}' has no questions")
        seen: set[str] = set()
        for q in self.questions:
            if q.id in seen:
                raise DefinitionError(f"question '{q.id}' is defined twice")
            if q.flag not in _RULES_FOR_KIND[q.kind]:
                raise DefinitionError(
                    f"question '{q.id}': a {q.kind} question cannot flag on '{q.flag}'"
                )
            if q.flag != "never" and not q.flag_reason:
                raise DefinitionError(f"question '{q.id}' flags but gives staff no reason")
            if q.ask_if is not None and q.ask_if[0] not in seen:
                raise DefinitionError(
                    f"question '{q.id}' depends on '{q.ask_if[0]}', which is not asked before it"
                )
            _check_answers(self, q)
            seen.add(q.id)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def next_question(self, after: str | None, answers: dict[str, str]) -> Question | None:
        """The next question to ask, skipping those whose condition does not hold."""
        ids = [q.id for q in self.questions]
        start = 0 if after is None else ids.index(after) + 1
        for q in self.questions[start:]:
            if q.ask_if is None or answers.get(q.ask_if[0]) == q.ask_if[1]:
                return q
        return None


def _check_answers(assessment: Assessment, q: Question) -> None:
    """Refuse choices, flag rules and conditions that name no answer the question can get."""
    if (q.kind == "choice") != bool(q.choices):
        raise DefinitionError(f"question '{q.id}': only a choice question has choices")
    choice_ids = [c.id for c in q.choices]
    if len(set(choice_ids)) != len(choice_ids):
        raise DefinitionError(f"question '{q.id}' has a choice defined twice")
    if q.flag == "answer" and (not q.flag_answers or not set(q.flag_answers) <= set(choice_ids)):
        raise DefinitionError(
            f"question '{q.id}' flags on {list(q.flag_answers)}, but its choices are {choice_ids}"
        )
    if q.minimum > q.maximum:
        raise DefinitionError(f"question '{q.id}': its minimum is above its maximum")
    if q.ask_if is not None:
        earlier_id, wanted = q.ask_if
        possible = assessment.question(earlier_id).answers()
        if possible is None or wanted not in possible:
            raise DefinitionError(
                f"question '{q.id}' can never be asked: '{earlier_id}' never answers '{wanted}'"
            )
