"""Reading an answer to a preference question (dialogs/preferences.py) in the patient's words.

The questions offer two options (delivery or pickup, calls or texts), a part of the day, or a
consent (may our messages name your medicines?). The words are data: `[preference_words]` in
locales/<lang>/vocabulary.toml (merged with English, like every section).

- An answer that names one option takes it, even beside a generic "yes", "fine" or "ok":
  "texts are fine" keeps texts (a bare "yes" to "calls instead of texts?" would be calls).
  A negated option ("no calls please") is the other one; naming both, or one option both said
  and negated, is not understood. A negation that is none ("I don't mind calls") is unclear.
- Time: morning / afternoon / evening words and clear clock times ("10am", "after 5",
  "before noon"); two parts of the day, or a part negated, are not understood; "anytime",
  "doesn't matter" are no preference (the question is passed over, nothing stored).
- A question back ("how much is delivery?", "what do you mean?") is never an answer.
- Detailed messages are a privacy consent: only a clear yes grants it. A yes beside a
  negation, a hedge ("only the first letter"), a condition or a question is not understood;
  "doesn't matter" is not a yes either.

Pure: no I/O, nothing stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialogs.parse import Vocabulary, compiled_for
from dialogs.reading import words_of

OPTIONS = {"delivery": ("delivery", "pickup"), "channel": ("call", "text")}
PARTS = ("morning", "afternoon", "evening")
NO_PREFERENCE = "any"  # returned for "anytime", "either is fine"
_HOUR = re.compile(r"^(\d{1,2})(am|pm|h)?$")
_KEYS = (
    *("delivery", "pickup", "call", "text", *PARTS),
    *("any", "negation", "not_negation", "asking", "hedges", "before", "after", "at", "am", "pm"),
)


@dataclass(frozen=True)
class PreferenceWords:
    """One vocabulary's preference words, normalised the way the reader normalises text."""

    phrases: Mapping[str, frozenset[str]]  # key -> phrases (space-joined words)
    longest: int
    interrogative: frozenset[str]
    # Words that end a negation's reach before an option: about oneself, yes/no, thanks.
    blocking: frozenset[str]


def _norm(values: Iterable[str]) -> frozenset[str]:
    return frozenset(p for p in (" ".join(words_of(v)) for v in values) if p)


def compile_words(vocab: Vocabulary) -> PreferenceWords:
    own = vocab.preference_words
    phrases = {k: _norm(own.get(k, ())) for k in _KEYS}
    phrases["negation"] = phrases["negation"] | _norm(vocab.reading.get("negation", ()))
    longest = max((len(p.split()) for ps in phrases.values() for p in ps), default=1)
    reach = (
        *vocab.reading.get("self", ()),
        *vocab.reading.get("polite", ()),
        *vocab.yes,
        *vocab.no,
    )
    blocking = frozenset(p for p in _norm(reach) if " " not in p)
    return PreferenceWords(
        phrases, longest, _norm(vocab.reading.get("interrogative", ())), blocking
    )


_COMPILED: dict[int, tuple[Vocabulary, PreferenceWords]] = {}


def preference_words(vocab: Vocabulary) -> PreferenceWords:
    """Compiled once per language per process."""
    return compiled_for(vocab, _COMPILED, compile_words)


@dataclass(frozen=True)
class _Found:
    key: str
    start: int  # word index
    end: int
    clause: int


_CLAUSE_BREAK = re.compile(r"[,.;!?\n，。；！？、]")


_DOTTED_HALF = re.compile(r"\b([ap])\.\s?m\b\.?", re.IGNORECASE)  # "a.m." is one word


def _clauses(text: str) -> list[list[str]]:
    text = _DOTTED_HALF.sub(r"\1m", text)
    return [w for w in (words_of(part) for part in _CLAUSE_BREAK.split(text)) if w]


def _scan(text: str, pw: PreferenceWords, keys: Iterable[str]) -> list[_Found]:
    """Every phrase of `keys`, longest first, left to right, clause by clause."""
    wanted = [k for k in keys]
    found: list[_Found] = []
    for c, words in enumerate(_clauses(text)):
        i = 0
        while i < len(words):
            for n in range(min(pw.longest, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n])
                hits = [k for k in wanted if phrase in pw.phrases[k]]
                if hits:
                    found += [_Found(k, i, i + n, c) for k in hits]
                    i += n
                    break
            else:
                i += 1
    return found


def is_question(text: str, vocab: Vocabulary, back: object | None) -> bool:
    """A question back rather than an answer: the reader's question back, a "?", a message
    opening with a question word, or one of `asking` ("is it free", "is that safe")."""
    if back is not None or "?" in text or "¿" in text or "？" in text:
        return True
    pw = preference_words(vocab)
    words = words_of(text)
    opening = [f for f in _scan(text, pw, (NO_PREFERENCE,)) if f.clause == 0 and f.start == 0]
    for n in (1, 2):  # "como sea" (whatever) is no "cómo" once accents are gone
        if " ".join(words[:n]) in pw.interrogative and not opening:
            return True
    return bool(_scan(text, pw, ("asking",)))


def no_preference(text: str, vocab: Vocabulary) -> bool:
    """ "Anytime", "either is fine", "doesn't matter" (and nothing negated beside it)."""
    pw = preference_words(vocab)
    return any(f.key == NO_PREFERENCE for f in _scan(text, pw, (NO_PREFERENCE,)))


def _negated(
    found: list[_Found],
    negations: list[_Found],
    item: _Found,
    words: list[list[str]],
    pw: PreferenceWords,
) -> bool:
    """A negation just before the option, in its clause, after any other option: "no calls",
    "not delivery", "don't want calls"; "no texts, call me" negates only texts. An answer "no"
    before the patient speaks of themselves is not the option's ("no I'll pick up", "no
    thanks I walk there"): at most three words between, none about oneself or a yes or no."""
    before = [f.end for f in found if f.clause == item.clause and f.end <= item.start]
    start = max(before, default=0)
    for n in negations:
        if n.clause != item.clause or not start <= n.start < item.start:
            continue
        between = words[item.clause][n.end : item.start]
        if n.end <= item.start and len(between) <= 3 and not set(between) & pw.blocking:
            return True
    return False


def read_choice(question: str, text: str, vocab: Vocabulary) -> str | None:
    """The option a two-way answer names ("delivery"/"pickup", "call"/"text"), or None when it
    names none, both, or is unclear about one. "" when it names one in a way that is unclear
    (a negation that is none, an option said and negated): the caller asks again."""
    pw = preference_words(vocab)
    options = OPTIONS[question]
    found = _scan(text, pw, options)
    if not found:
        return None
    marks = _scan(text, pw, ("negation", "not_negation"))
    if any(m.key == "not_negation" for m in marks):
        return ""
    negations = [m for m in marks if m.key == "negation"]
    words = _clauses(text)
    unsaid = {f.key for f in found if _negated(found, negations, f, words, pw)}
    said = {f.key for f in found if not _negated(found, negations, f, words, pw)}
    if len(said) == 1 and not (said & unsaid):
        return next(iter(said))
    if not said and len(unsaid) == 1:
        (other,) = set(options) - unsaid
        return other
    return ""


def read_part_of_day(text: str, vocab: Vocabulary) -> str | None:
    """morning / afternoon / evening from words or a clock time; None for none; "" when
    unclear (two parts, a part negated, a time outside the day or without a clear half)."""
    pw = preference_words(vocab)
    found = _scan(text, pw, (*PARTS, "negation"))
    parts = {f.key for f in found if f.key in PARTS}
    if parts and any(f.key == "negation" for f in found):
        return ""
    clock = _clock_parts(text, pw)
    if clock is None:
        return ""
    every = parts | clock
    if len(every) == 1:
        return next(iter(every))
    return "" if every else None


def _clock_parts(text: str, pw: PreferenceWords) -> set[str] | None:
    """The parts of the day of the clock times in the text; None when one is unclear."""
    parts: set[str] = set()
    for words in _clauses(text):
        i = 0
        while i < len(words):
            m = _HOUR.match(words[i])
            if m is None:
                i += 1
                continue
            hour = int(m[1])
            half = {"am": "am", "pm": "pm"}.get(m[2] or "")
            j = i + 1
            if j < len(words) and re.fullmatch(r"\d{2}", words[j]):  # "10 30 am"
                j += 1
            for n in (3, 2, 1):
                after = " ".join(words[j : j + n])
                if half is None and after in pw.phrases["am"]:
                    half, j = "am", j + n
                elif half is None and after in pw.phrases["pm"]:
                    half, j = "pm", j + n
            relation = _relation(words[:i], pw)
            if half is None and relation is None:
                i = j
                continue  # a bare number: the question's own 1, 2, 3
            part = _part_of(hour, half, relation)
            if part is None:
                return None
            parts.add(part)
            i = j
    return parts


def _relation(before: list[str], pw: PreferenceWords) -> str | None:
    """ "before", "after" or "at" when one of their words (or phrases) ends just before the
    hour, allowing one word between ("after about 5", "después de las 6")."""
    for skip in (0, 1):
        end = len(before) - skip
        for n in range(min(4, end), 0, -1):
            phrase = " ".join(before[end - n : end])
            for relation in ("before", "after", "at"):
                if phrase in pw.phrases[relation]:
                    return relation
    return None


def _part_of(hour: int, half: str | None, relation: str | None) -> str | None:
    """Conservative: a clock time names a part of the day only when it is clearly in one."""
    if not 0 < hour <= 24:
        return None
    if half is None:
        if hour > 12:
            h24 = hour
        elif hour == 12:
            h24 = 12  # noon
        elif hour == 4:
            h24 = 16  # nobody wants texts at 4 in the morning, and 4 is no option
        elif relation == "after" and 1 <= hour <= 8:
            h24 = hour + 12  # "after 5": nobody asks for texts after 5 in the morning
        elif relation == "before" and 9 <= hour <= 11:
            h24 = hour  # "before 10"
        else:
            return None  # "at 3": 3pm or the question's 3 (evening)? "at 8": ask again
    elif half == "am":
        h24 = 0 if hour == 12 else hour
    else:
        h24 = hour if hour == 12 else hour + 12
    if relation == "before":
        return "morning" if h24 <= 12 else None
    if relation == "after":
        if 12 <= h24 < 16:
            return "afternoon"
        return "evening" if 17 <= h24 <= 20 else None
    if 6 <= h24 < 12:
        return "morning"
    if 12 <= h24 < 17:
        return "afternoon"
    return "evening" if 17 <= h24 <= 21 else None


def consent_doubt(text: str, vocab: Vocabulary) -> bool:
    """Beside a yes to detailed messages, anything that makes it less than a clear yes: a
    negation ("yes but not the names"), a hedge ("only the first letter"), "doesn't matter"."""
    pw = preference_words(vocab)
    keys = ("negation", "not_negation", "hedges", NO_PREFERENCE)
    return bool(_scan(text, pw, keys))
