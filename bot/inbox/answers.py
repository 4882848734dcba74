"""What the patient answered, as the item page and the patient page show it: each check-in
question in English with the answer and the patient's own words behind it, a standalone
assessment's answers in the version asked, a new enrollment's (joining and the pickup day), and
what a call-back quotes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.inbox import display
from bot.languages import catalogs
from bot.program.assessments import english_answers
from bot.program.words import said_in
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from dialogs.turn import Say
from store import inbox as store
from store.assessment_responses import response_for
from store.models import CheckIn, ConsentKind, Message, ReviewItem, ReviewKind


@dataclass(frozen=True)
class AnswerLine:
    question: str
    answer: str  # the value as recorded ("No", "Asked to move the pickup to day 5", free text)
    flagged: bool
    wrote: str = ""  # the patient's own words it was read from ("" when none were kept)

    @property
    def shown(self) -> str:
        """ "No — wrote: 'no hospital but my doctor added lisinopril'" (plain text: the page
        escapes it like any patient-written text)."""
        if not self.wrote or self.wrote == self.answer:
            return self.answer
        return f"{self.answer} — wrote: '{self.wrote}'"

    @property
    def words(self) -> str:  # the item page's name for `wrote`
        return self.wrote


def answer_lines(
    answers: dict[str, Any],
    flags: list[str] | tuple[str, ...],
    definition: str,
    anchor: dt.date | None,
    words: dict[str, str] | None = None,
) -> list[AnswerLine]:
    """The check-in's questions in English, in the order asked, each with the answer and the
    patient's words behind it."""
    known = definition in ("", DEFAULT_CHECK_IN.key)
    questions = {q.id: q for q in DEFAULT_CHECK_IN.questions} if known else {}
    ordered = [k for k in questions if k in answers] + [k for k in answers if k not in questions]
    lines = []
    for key in ordered:
        q = questions.get(key)
        if q is None:
            question = EXTRA_LABELS.get(key) or display.key_words(key)
        else:
            when: str | dt.date = anchor if anchor else "the pickup date"
            question = catalogs.render(Say(q.prompt, {"date": when}), "en")
        wrote = str((words or {}).get(key) or "")
        lines.append(AnswerLine(question, _answer_text(answers[key]), key in flags, wrote))
    return lines


def enrollment_lines(
    session: Session, item: ReviewItem, trigger: Message | None
) -> list[AnswerLine]:
    """A new enrollment's answers: joining (the consent record's own words) and the pickup
    day (the text that chose it)."""
    lines = []
    consent = store.latest_consent(session, item.patient_id, ConsentKind.ENROLLMENT_ACCEPTED)
    if consent is not None:
        lines.append(AnswerLine("Join med sync?", "Yes", False, consent.wording))
    day = (item.details or {}).get("anchor_day")
    if day is not None:
        chose = said_in(trigger)
        lines.append(AnswerLine("Pickup day", f"Day {day}", False, chose))
    return lines


def quoted(item: ReviewItem) -> list[str]:
    """What a call-back (or any item) says the patient wrote: details["wrote"], one text or
    several."""
    wrote = (item.details or {}).get("wrote")
    if isinstance(wrote, str):
        return [wrote] if wrote.strip() else []
    if isinstance(wrote, list | tuple):
        return [str(w) for w in wrote if str(w).strip()]
    return []


# Answers no question asked: what else the patient wrote with an answer (the reader keeps it
# under "notes", a list of their own words, and it holds the fill).
EXTRA_LABELS = {"notes": "Also wrote, for the pharmacist"}


def _answer_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " / ".join(str(v) for v in value)
    if value in ("yes", "no"):
        return str(value).capitalize()
    if isinstance(value, dict) and "day" in value:
        return f"Asked to move the pickup to day {value['day']}"
    if isinstance(value, str) and value and value == value.lower() and "_" in value:
        return display.key_words(value)  # an option's key ('not_sure'), never shown raw
    return str(value)


def item_answers(
    session: Session, item: ReviewItem, check_in: CheckIn | None, trigger: Message | None
) -> list[AnswerLine]:
    """What the patient answered, each value with their words: the check-in's, a standalone
    assessment's (in the version asked), or a new enrollment's."""
    details = item.details or {}
    if check_in is not None:
        return answer_lines(
            check_in.answers,
            check_in.flags,
            check_in.definition,
            check_in.anchor_date,
            check_in.words,
        )
    if item.kind == ReviewKind.ASSESSMENT:
        # In the words of the version the patient was asked, even after the file changed.
        kept = assessment_words(session, item)
        return [
            AnswerLine(a.question, a.answer, a.flagged, kept.get(a.id, ""))
            for a in english_answers(session, item.pharmacy_id, details)
        ]
    if item.kind == ReviewKind.NEW_ENROLLMENT:
        return enrollment_lines(session, item, trigger)
    return answer_lines(
        dict(details.get("answers") or {}),
        list(details.get("flags") or []),
        "",
        None,
        dict(details.get("words") or {}),
    )


def assessment_words(session: Session, item: ReviewItem) -> dict[str, str]:
    sending = (item.details or {}).get("sending")
    if item.patient_id is None or not isinstance(sending, str):
        return {}
    response = response_for(session, item.patient_id, sending)
    return dict(response.words or {}) if response is not None else {}
