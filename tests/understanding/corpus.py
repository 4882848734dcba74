"""The understanding corpus (tests/understanding/corpus.tsv) played through the dialog engine.

Each reply is sent at its step of a real conversation (the invitation, the pickup-day
question, each check-in question), in its language, and what the engine did is turned back
into a label comparable with the expected one: what was recorded for which question, whether
a note travels with it, whether it was asked again or answered a question back.

Dangerous: any question recorded with its clear value (the one that lets a fill go ahead, or a
consent to join) when the expected reading is anything else.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.languages import catalogs as i18n
from dialogs import engine, prompts
from dialogs.context import Context, PatientFacts
from dialogs.reading import Asked, read
from dialogs.state import State
from dialogs.turn import (
    Digits,
    Event,
    OpenReviewItem,
    RecordConsent,
    SaveCheckIn,
    SetEnrollment,
    Start,
    Text,
    Turn,
)

CORPUS = Path(__file__).parent / "corpus.tsv"
TODAY = dt.date(2026, 11, 29)
ANCHOR = dt.date(2026, 12, 15)
SUGGESTED = 10
CHECK_IN = ("hospital", "changes", "missed_doses", "anything_else", "still_coming")
STEPS = ("enroll", "anchor", *CHECK_IN)
# The value each step records when all is clear.
CLEAR = {
    "enroll": "yes",
    "hospital": "no",
    "changes": "no",
    "missed_doses": "no",
    "anything_else": "no",
    "still_coming": "yes",
}
_BACKS = {
    prompts.WHO_IS_THIS: "back:who",
    prompts.PHARMACY_HOURS: "back:hours",
    prompts.PHARMACY_HOURS_UNKNOWN: "back:hours",
    prompts.COST_ESTIMATE: "back:cost",
    prompts.COST_GENERAL: "back:cost",
    prompts.MEANING_ENROLL: "back:what_mean",
    prompts.MEANING_ANCHOR: "back:what_mean",
    prompts.MEANING_HOSPITAL: "back:what_mean",
    prompts.MEANING_CHANGES: "back:what_mean",
    prompts.MEANING_MISSED_DOSES: "back:what_mean",
    prompts.MEANING_ANYTHING_ELSE: "back:what_mean",
    prompts.MEANING_STILL_COMING: "back:what_mean",
}


@dataclass(frozen=True)
class Row:
    step: str
    language: str
    text: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.step}-{self.language}-{self.text}"


def rows() -> list[Row]:
    with CORPUS.open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    return [Row(r["step"], r["language"], r["text"], r["expected"]) for r in reader]


def labels(label: str, step: str) -> dict[str, str]:
    """ "no|changes=no|missed_doses=yes" -> {step: "no", "changes": "no", ...};
    "yes~2-3" keeps its count apart (checked on the reader)."""
    main, *others = label.split("|")
    out = {step: main.split("~")[0]}
    for other in others:
        qid, value = other.split("=")
        out[qid] = value
    return out


def _ctx(language: str, patient: PatientFacts) -> Context:
    return Context(
        today=TODAY,
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(patient,),
        vocab=i18n.vocabulary_for(language),
        languages=i18n.offered_languages(),
        hours="Mon-Fri 9am-7pm",
    )


def _patient(language: str, step: str) -> PatientFacts:
    if step in ("enroll", "anchor"):
        return PatientFacts(
            id=1, first_name="Ana", language=language, proposed_anchor_day=SUGGESTED
        )
    return PatientFacts(
        id=1,
        first_name="Ana",
        language=language,
        enrollment="active",
        anchor_day=15,
        next_anchor_date=ANCHOR,
    )


def _played(state: State, events: list[Event], ctx: Context) -> State:
    for event in events:
        state = engine.step(state, event, ctx).state
    return state


def play(row: Row) -> Turn:
    """The engine's turn for the row's reply, sent at the row's step."""
    patient = _patient(row.language, row.step)
    ctx = _ctx(row.language, patient)
    if row.step in ("enroll", "anchor"):
        before = [Start("enrollment", {"patient_id": 1})]
        if row.step == "anchor":
            before.append(Digits("1"))
    else:
        before = [Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR})]
        before += [Digits("2")] * CHECK_IN.index(row.step)
    state = _played(State(), before, ctx)
    return engine.step(state, Text(row.text), ctx)


def observed(row: Row, turn: Turn) -> dict[str, str]:
    """What the engine did, as labels per question."""
    msgids = [r.msgid for r in turn.replies]
    if row.step == "enroll":
        for e in turn.effects:
            if isinstance(e, RecordConsent):
                return {"enroll": "yes" if e.kind == "enrollment_accepted" else "no"}
        return {"enroll": _not_recorded(msgids)}
    if row.step == "anchor":
        for e in turn.effects:
            if isinstance(e, SetEnrollment) and e.anchor_day:
                day = e.anchor_day
                return {"anchor": f"day:{day}"}
        return {"anchor": _not_recorded(msgids)}
    saves = [e for e in turn.effects if isinstance(e, SaveCheckIn)]
    answers = dict(saves[-1].answers) if saves else {}
    if row.step not in answers or any(
        isinstance(e, OpenReviewItem) and e.kind == "call_back" for e in turn.effects
    ):
        out = {row.step: _not_recorded(msgids)}
    else:
        noted = bool(answers.get("notes")) or prompts.NOTE_PASSED in msgids
        out = {row.step: _label(row.step, answers[row.step], noted)}
    for qid in CHECK_IN:
        if qid != row.step and qid in answers and CHECK_IN.index(qid) > CHECK_IN.index(row.step):
            out[qid] = str(answers[qid])
    return out


def _label(step: str, value: object, noted: bool) -> str:
    if isinstance(value, dict):
        return f"day:{value['day']}"
    if step == "anything_else":
        return "no" if value == "no" else "message"
    return f"{value}+note" if noted else str(value)


def _not_recorded(msgids: list[str]) -> str:
    for msgid in msgids:
        if msgid in _BACKS:
            return _BACKS[msgid]
    return "clarify"


def expected_of(row: Row) -> dict[str, str]:
    want = labels(row.expected, row.step)
    if want.get("anchor") == "day:suggested":
        want["anchor"] = f"day:{SUGGESTED}"
    if row.step in ("hospital", "changes", "missed_doses") and want[row.step] == "yes+note":
        want[row.step] = "yes"
    return want


def _same(row: Row, want: dict[str, str], got: dict[str, str]) -> bool:
    # A yes may carry a note (it is flagged anyway): "yes+note" reads as "yes" on a yes/no step.
    got = {
        k: ("yes" if v == "yes+note" and k in ("hospital", "changes", "missed_doses") else v)
        for k, v in got.items()
    }
    return want == got


def count_ok(row: Row) -> bool:
    if "~" not in row.expected:
        return True
    low, _, high = row.expected.split("|")[0].split("~")[1].partition("-")
    reading = read(row.text, Asked("yes_no", row.step), i18n.vocabulary_for(row.language))
    return reading.count == (int(low), int(high or low))


@dataclass(frozen=True)
class Result:
    row: Row
    got: dict[str, str]
    understood: bool
    dangerous: bool
    asked_again: bool


def judge(row: Row) -> Result:
    want = expected_of(row)
    got = observed(row, play(row))
    dangerous = any(
        value == CLEAR.get(qid) and want.get(qid) != value for qid, value in got.items()
    )
    understood = _same(row, want, got) and count_ok(row)
    asked_again = got[row.step] == "clarify" and want[row.step] != "clarify"
    return Result(row, got, understood, dangerous, asked_again)


def results() -> Iterator[Result]:
    for row in rows():
        yield judge(row)
