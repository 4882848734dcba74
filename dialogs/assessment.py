"""Questions as data: the check-in, and later a pharmacy's own assessments.

A definition is checked when it is built, like python-statemachine refuses unreachable
states: duplicate ids, conditions on unknown or later questions, and flag rules that
cannot fire are refused with a sentence naming the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuestionKind = Literal["yes_no", "text_or_no", "date_confirm"]
# When an answer holds the fill for a pharmacist: on "yes", on any written text, on a
# changed or refused pickup date, or never.
FlagRule = Literal["yes", "text", "change", "never"]

_RULES_FOR_KIND: dict[QuestionKind, set[FlagRule]] = {
    "yes_no": {"yes", "never"},
    "text_or_no": {"text", "never"},
    "date_confirm": {"change", "never"},
}


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
