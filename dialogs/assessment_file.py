"""A pharmacy's check-in questions, or a standalone assessment, as a TOML file, checked
when loaded.

The file format is documented by dialogs/check_in.toml, the default check-in, which is
loaded by this same code. Every problem is refused with the line and the question it is
about, so a pharmacy can fix its file without reading code.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from dialogs import prompts
from dialogs.assessment import (
    Assessment,
    Choice,
    DefinitionError,
    FlagRule,
    Question,
    QuestionKind,
    Texts,
)

DEFAULT_FILE = Path(__file__).resolve().parent / "check_in.toml"

# The words a file uses for each kind; "text" is the free-text question a patient may
# also answer with "no".
KINDS: dict[str, QuestionKind] = {
    "yes_no": "yes_no",
    "number": "number",
    "choice": "choice",
    "text": "text_or_no",
    "date_confirm": "date_confirm",
}
_TOP_KEYS = {"id", "version", "languages", "question"}
_QUESTION_KEYS = {
    "id",
    "kind",
    "text",
    "catalog",
    "choices",
    "ask_if",
    "flag_on",
    "flag_below",
    "flag_above",
    "flag_reason",
    "min",
    "max",
    "topic",
    "topic_words",
}
_TOPICS = ("hospital", "changes", "missed_doses")
# Keys 1 to 8 choose; 9 stops calls and 0 reaches the pharmacy on every question.
MAX_CHOICES = 8
# The only value a question's words may name: the pickup date, as %(date)s.
_PARAMS = {"date": "Tuesday, December 15, 2026"}


class AssessmentFileError(DefinitionError):
    """A definition file MedSync cannot run; the message says which line is wrong."""


def load(text: str) -> Assessment:
    """Parse and check a definition file; raise AssessmentFileError naming the line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AssessmentFileError(f"not valid TOML: {error}") from None
    lines = _Lines(text)
    try:
        return _assessment(raw, lines)
    except AssessmentFileError:
        raise
    except DefinitionError as error:
        # Assessment's own checks name the question: point at its line.
        named = re.search(r"question '([^']+)'", str(error))
        where = lines.question(named.group(1)) if named else 1
        raise AssessmentFileError(f"line {where}: {error}") from None


@lru_cache(maxsize=64)
def check_in_for(text: str | None) -> Assessment:
    """The pharmacy's check-in: its stored file, else the default one.

    A stored file was checked when loaded; should a later release refuse it (a catalog
    message renamed), patients still get the default check-in rather than an error, and
    `medsync pharmacy questions --show` tells staff why."""
    default = DEFAULT_FILE.read_text(encoding="utf-8")
    if text is None:
        return load(default)
    try:
        return load(text)
    except AssessmentFileError:
        return load(default)


def load_standalone(text: str) -> Assessment:
    """A standalone assessment's file: the same format, but about no pickup, so no
    date_confirm question (it would move a pickup the patient may not have)."""
    definition = load(text)
    for q in definition.questions:
        if q.kind == "date_confirm":
            where = _Lines(text).question(q.id)
            raise AssessmentFileError(
                f"line {where}: question '{q.id}': a date_confirm question belongs to the "
                "check-in; a standalone assessment cannot move a pickup"
            )
    return definition


@lru_cache(maxsize=256)
def standalone_for(text: str) -> Assessment:
    """A stored standalone definition (checked when it was loaded), parsed once."""
    return load(text)


class _Lines:
    """Line numbers for messages: tomllib forgets where each value came from."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def key(self, key: str, after: int = 0) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*[.=]")
        for number, line in enumerate(self.lines[after:], start=after + 1):
            if pattern.match(line):
                return number
        return after + 1

    def section(self, index: int) -> int:
        """The line of the index-th [[question]] (from 0)."""
        headers = [n for n, line in enumerate(self.lines, 1) if line.strip() == "[[question]]"]
        return headers[index] if index < len(headers) else 1

    def question(self, question_id: str) -> int:
        pattern = re.compile(rf"^\s*id\s*=\s*[\"']{re.escape(question_id)}[\"']")
        first = self.section(0)
        for number, line in enumerate(self.lines[first - 1 :], start=first):
            if pattern.match(line):
                return number
        return first

    def in_question(self, question_id: str, key: str) -> int:
        return self.key(key, after=self.question(question_id) - 1)


def _assessment(raw: Mapping[str, Any], lines: _Lines) -> Assessment:
    for key in raw:
        if key not in _TOP_KEYS:
            raise AssessmentFileError(f"line {lines.key(key)}: unknown setting '{key}'")
    name = raw.get("id")
    version = raw.get("version")
    if not isinstance(name, str) or not name:
        raise AssessmentFileError('line 1: the file needs an id, like id = "check_in"')
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise AssessmentFileError(
            f"line {lines.key('version')}: version must be a whole number from 1; raise it "
            "after every change so old answers keep their meaning"
        )
    languages = raw.get("languages", ["en"])
    if (
        not isinstance(languages, list)
        or not all(isinstance(tag, str) for tag in languages)
        or "en" not in languages
    ):
        raise AssessmentFileError(
            f'line {lines.key("languages")}: languages must be a list of tags with "en" in it'
        )
    questions = raw.get("question")
    if not isinstance(questions, list) or not questions:
        raise AssessmentFileError("the file has no [[question]]")
    parsed = tuple(_question(q, i, tuple(languages), lines) for i, q in enumerate(questions))
    return Assessment(id=name, version=version, questions=parsed)


def _question(raw: Any, index: int, languages: tuple[str, ...], lines: _Lines) -> Question:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise AssessmentFileError(f"line {lines.section(index)}: every question needs an id")
    qid: str = raw["id"]

    def fail(key: str, problem: str) -> AssessmentFileError:
        return AssessmentFileError(
            f"line {lines.in_question(qid, key)}: question '{qid}': {problem}"
        )

    for key in raw:
        if key not in _QUESTION_KEYS:
            raise fail(key, f"unknown setting '{key}'")
    kind = KINDS.get(str(raw.get("kind")))
    if kind is None:
        raise fail("kind", f"unknown kind {raw.get('kind')!r}; use one of {', '.join(KINDS)}")
    prompt, texts = _words(raw, qid, languages, fail)
    choices = _choices(raw.get("choices", []), kind, languages, fail)
    flag, flag_answers, flag_limit = _flag_rule(raw, kind, fail)
    ask_if = raw.get("ask_if")
    if ask_if is not None:
        if not isinstance(ask_if, dict) or set(ask_if) != {"question", "answer"}:
            raise fail("ask_if", 'ask_if must be { question = "...", answer = "..." }')
        ask_if = (str(ask_if["question"]), str(ask_if["answer"]))
    minimum, maximum = raw.get("min", 0), raw.get("max", 999)
    if kind != "number" and ("min" in raw or "max" in raw):
        raise fail("min", "only a number question has min and max")
    if not isinstance(minimum, int) or not isinstance(maximum, int):
        raise fail("min", "min and max must be whole numbers")
    topic = raw.get("topic")
    if topic is not None and topic not in _TOPICS:
        raise fail("topic", f"topic must be one of {', '.join(_TOPICS)}")
    topic_words = raw.get("topic_words", [])
    if not isinstance(topic_words, list) or not all(
        isinstance(w, str) and w.strip() for w in topic_words
    ):
        raise fail("topic_words", 'topic_words must be a list of words, like ["flu shot"]')
    if (topic or topic_words) and kind != "yes_no":
        raise fail("topic", "only a yes_no question has a topic")
    return Question(
        id=qid,
        kind=kind,
        prompt=prompt,
        flag=flag,
        flag_reason=str(raw.get("flag_reason", "")),
        ask_if=ask_if,
        texts=texts,
        choices=choices,
        flag_answers=flag_answers,
        flag_limit=flag_limit,
        minimum=minimum,
        maximum=maximum,
        topic=topic,
        topic_words=tuple(topic_words),
    )


def _words(
    raw: Mapping[str, Any], qid: str, languages: tuple[str, ...], fail: Any
) -> tuple[str, Texts]:
    """A built-in question names its catalog message; a pharmacy's carries its own words."""
    if "catalog" in raw:
        if "text" in raw:
            raise fail("catalog", "give either catalog or text, not both")
        msgid = getattr(prompts, str(raw["catalog"]), None)
        if not isinstance(msgid, str) or not str(raw["catalog"]).isupper():
            raise fail("catalog", f"no catalog message named {raw['catalog']!r}")
        return msgid, ()
    text = raw.get("text")
    if not isinstance(text, dict):
        raise fail("text", 'needs its words, like text.en = "..." (or a catalog message)')
    texts = _texts(text, languages, fail, "text", "its text")
    return dict(texts)["en"], texts


def _texts(
    raw: Mapping[str, Any], languages: tuple[str, ...], fail: Any, key: str, what: str
) -> Texts:
    for tag, words in raw.items():
        if tag not in languages:
            raise fail(key, f"{what} is written in '{tag}', which is not in languages")
        if not isinstance(words, str) or not words.strip():
            raise fail(key, f"{what} in '{tag}' is empty")
        try:
            words % _PARAMS
        except (KeyError, ValueError, TypeError):
            raise fail(
                key, f"{what} in '{tag}' may only use %(date)s; write %% for a percent sign"
            ) from None
    missing = [tag for tag in languages if tag not in raw]
    if missing:
        raise fail(key, f"{what} has no translation for {', '.join(missing)}")
    return tuple((tag, str(raw[tag]).strip()) for tag in languages)


def _choices(
    raw: Any, kind: QuestionKind, languages: tuple[str, ...], fail: Any
) -> tuple[Choice, ...]:
    if kind != "choice":
        if raw:
            raise fail("choices", "only a choice question has choices")
        return ()
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_CHOICES:
        raise fail("choices", f"a choice question needs 2 to {MAX_CHOICES} choices")
    choices = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise fail("choices", 'each choice needs an id: { id = "daily", en = "Daily" }')
        words = {tag: value for tag, value in item.items() if tag != "id"}
        texts = _texts(words, languages, fail, "choices", f"choice '{item['id']}'")
        choices.append(Choice(item["id"], texts))
    return tuple(choices)


def _flag_rule(
    raw: Mapping[str, Any], kind: QuestionKind, fail: Any
) -> tuple[FlagRule, tuple[str, ...], int]:
    """`flag_on` names answers (or "text", "change"); numbers flag below or above a limit."""
    below, above, on = raw.get("flag_below"), raw.get("flag_above"), raw.get("flag_on")
    if [below, above, on].count(None) < 2:
        raise fail("flag_below", "give one of flag_on, flag_below or flag_above")
    for key, limit in (("flag_below", below), ("flag_above", above)):
        if limit is None:
            continue
        if kind != "number":
            raise fail(key, f"{key} needs a number question")
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise fail(key, f"{key} must be a whole number")
        return cast(FlagRule, key.removeprefix("flag_")), (), limit
    if on is None:
        return "never", (), 0
    if kind == "choice":
        answers = tuple(str(a) for a in (on if isinstance(on, list) else [on]))
        return "answer", answers, 0
    if kind == "number":
        raise fail("flag_on", "a number question flags with flag_below or flag_above")
    allowed = {"yes_no": ("yes", "no"), "text_or_no": ("text",), "date_confirm": ("change",)}
    if on not in allowed[kind]:
        names = " or ".join(f"'{a}'" for a in allowed[kind])
        raise fail("flag_on", f"flag_on {on!r} names no answer; this question can flag on {names}")
    return cast(FlagRule, on), (), 0
