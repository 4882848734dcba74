"""Understanding what patients type or say: keywords, yes and no, days of the month.

The words themselves are data (locales/<lang>/vocabulary.toml); bot/ loads them and
hands the dialogs a `Vocabulary`. The same functions read texts and speech results.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

# Digits glued to a Latin letter before them are letters: Arabizi writes ع as 3 ("na3am" is
# yes). After Chinese or Korean they are a number ("每月15号", "매월15일").
_DIGITS = re.compile(r"(?<![A-Za-z\d])\d+")
# A time of day ("3pm", "10:30 a.m."): its digits are no day of the month.
TIME_OF_DAY = re.compile(r"(?<![\d:])\d{1,2}(?::\d{2})?\s*[ap]\.?\s?m\b\.?", re.IGNORECASE)


# Han ideographs (CJK blocks and extensions): Chinese puts no spaces between words, so each
# ideograph is matched as a word of its own and vocabularies list words the same way.
_HAN = re.compile("([\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f])")


def normalize(text: str) -> str:
    """Casefold, drop accents, turn punctuation and symbols (emoji too) into spaces.

    "  Stop. " -> "stop"; "SÍ!" -> "si"; "el 15º" -> "el 15"; "十五号" -> "十 五 号";
    "Tiếng Việt" -> "tieng viet"; "한국어" stays "한국어" (Korean writes spaces itself).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn":
            continue  # accents and other combining marks
        if category[0] in "PSCZ":
            kept.append(" ")
        else:
            kept.append(char)
    joined = _HAN.sub(r" \1 ", unicodedata.normalize("NFC", "".join(kept)))
    return " ".join(joined.split())


def _norm_all(words: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in (normalize(w) for w in words) if n)


@dataclass(frozen=True)
class Vocabulary:
    """Words that carry meaning, already normalised. Build with `Vocabulary.of`."""

    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    opt_out: frozenset[str] = frozenset()
    opt_in: frozenset[str] = frozenset()
    help: frozenset[str] = frozenset()
    pharmacist: frozenset[str] = frozenset()
    revocation: frozenset[str] = frozenset()
    # A language's names, in any script, to the language tag they select.
    language_names: Mapping[str, str] = field(default_factory=dict)
    # Number words ("fifteen", "quince") to their value.
    numbers: Mapping[str, int] = field(default_factory=dict)
    # Two-word phrases with a number word that are no number ("no one"): passed over.
    not_numbers: frozenset[str] = frozenset()
    # Words that may stand around an answer without changing it ("please", "the", "el").
    filler: frozenset[str] = frozenset()
    # Endings written onto a number without a space (Korean "십오일에", "on the 15th"): a word
    # that is no number as written is tried without them.
    suffixes: tuple[str, ...] = ()
    # Whole messages that change a preference ("deliver please" -> "delivery=yes") or open
    # the preference questions ("settings" -> "menu"); "skip" passes over one question.
    preferences: Mapping[str, str] = field(default_factory=dict)
    # Month names and short forms ("march", "marzo", "3 月", "thang 3") to 1-12.
    months: Mapping[str, int] = field(default_factory=dict)
    # The reader's words (dialogs/reading.py): phrase lists by category, "topics" and
    # "topic_no" (topic -> phrases) and "counts" (phrase -> (low, high)), as written.
    reading: Mapping[str, Any] = field(default_factory=dict)
    # Words inside an answer to a preference question (dialogs/preference_reading.py): lists
    # of phrases by name ("text", "call", "pickup", "morning", "any", ...), as written.
    preference_words: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: Mapping[str, object], language: str) -> Vocabulary:
        """From a vocabulary file's table (see locales/en/vocabulary.toml)."""

        def words(key: str) -> frozenset[str]:
            value = raw.get(key, [])
            if not isinstance(value, list):
                raise ValueError(f"vocabulary {language}: '{key}' must be a list of words")
            return _norm_all(str(v) for v in value)

        numbers_raw = raw.get("numbers", {})
        if not isinstance(numbers_raw, Mapping):
            raise ValueError(f"vocabulary {language}: 'numbers' must be a table")
        months_raw = raw.get("months", {})
        if not isinstance(months_raw, Mapping) or not all(
            isinstance(v, int) and 1 <= v <= 12 for v in months_raw.values()
        ):
            raise ValueError(f"vocabulary {language}: 'months' must be a table of 1 to 12")
        return cls(
            yes=words("yes"),
            no=words("no"),
            opt_out=words("opt_out"),
            opt_in=words("opt_in"),
            help=words("help"),
            pharmacist=words("pharmacist"),
            revocation=words("revocation"),
            language_names={n: language for n in words("names")},
            numbers={normalize(str(k)): int(v) for k, v in numbers_raw.items()},
            not_numbers=words("not_numbers"),
            filler=words("filler"),
            suffixes=tuple(sorted(words("suffixes"), key=len, reverse=True)),
            preferences=_phrases(raw.get("preferences", {}), language),
            months={normalize(str(k)): int(v) for k, v in months_raw.items()},
            reading=_reading(raw.get("reading", {}), language),
            preference_words=_reading(raw.get("preference_words", {}), language),
        )

    def merge(self, *others: Vocabulary) -> Vocabulary:
        """The union: a patient's own words plus English and everyone's opt-out words."""
        vocabs = (self, *others)

        def union(attr: str) -> frozenset[str]:
            out: frozenset[str] = frozenset()
            for v in vocabs:
                out |= getattr(v, attr)
            return out

        names: dict[str, str] = {}
        numbers: dict[str, int] = {}
        preferences: dict[str, str] = {}
        months: dict[str, int] = {}
        reading: dict[str, Any] = {}
        preference_words: dict[str, Any] = {}
        for v in vocabs:
            _merge_reading(reading, v.reading)
            _merge_reading(preference_words, v.preference_words)
        for v in reversed(vocabs):  # the first vocabulary wins a clash
            names.update(v.language_names)
            numbers.update(v.numbers)
            preferences.update(v.preferences)
            months.update(v.months)
        # A word the patient's own language reads as carrying no answer is no yes or no from
        # another language: Spanish "ya" (already) is not English "ya" (yes).
        plain = self.filler | _norm_all(self.reading.get("function", ()))

        def answers(attr: str) -> frozenset[str]:
            own: frozenset[str] = getattr(self, attr)
            return own | (union(attr) - own - plain)

        return Vocabulary(
            yes=answers("yes"),
            no=answers("no"),
            opt_out=union("opt_out"),
            opt_in=union("opt_in"),
            help=union("help"),
            pharmacist=union("pharmacist"),
            revocation=union("revocation"),
            language_names=names,
            numbers=numbers,
            not_numbers=union("not_numbers"),
            filler=union("filler"),
            suffixes=tuple(sorted({s for v in vocabs for s in v.suffixes}, key=len, reverse=True)),
            preferences=preferences,
            months=months,
            reading=reading,
            preference_words=preference_words,
        )


_Compiled = TypeVar("_Compiled")


def compiled_for(
    vocab: Vocabulary,
    kept: dict[int, tuple[Vocabulary, _Compiled]],
    compile_words: Callable[[Vocabulary], _Compiled],
) -> _Compiled:
    """What `compile_words` makes of `vocab`, made on first use and kept in `kept` (the
    runtime keeps one merged vocabulary per language, so once per language per process; at
    most 64 are kept, the oldest forgotten first)."""
    found = kept.get(id(vocab))
    if found is not None and found[0] is vocab:
        return found[1]
    compiled = compile_words(vocab)
    if len(kept) > 64:
        kept.pop(next(iter(kept)))
    kept[id(vocab)] = (vocab, compiled)
    return compiled


def _reading(raw: object, language: str) -> dict[str, Any]:
    """The [reading] table, checked: lists of phrases, tables of phrase lists, and counts."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"vocabulary {language}: 'reading' must be a table")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("topics", "topic_no"):
            if not isinstance(value, Mapping) or not all(
                isinstance(v, list) for v in value.values()
            ):
                raise ValueError(f"vocabulary {language}: reading.{key} maps topics to lists")
            out[key] = {t: tuple(str(p) for p in v) for t, v in value.items()}
        elif key == "counts":
            counts: dict[str, tuple[int, int]] = {}
            for phrase, n in dict(value).items():
                low, high = (n, n) if isinstance(n, int) else (int(n[0]), int(n[-1]))
                counts[str(phrase)] = (low, high)
            out[key] = counts
        elif isinstance(value, list):
            out[key] = tuple(str(p) for p in value)
        else:
            raise ValueError(f"vocabulary {language}: reading.{key} must be a list of phrases")
    return out


def _merge_reading(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        if key in ("topics", "topic_no"):
            table = into.setdefault(key, {})
            for topic, phrases in value.items():
                table[topic] = (*table.get(topic, ()), *phrases)
        elif key == "counts":
            counts = into.setdefault(key, {})
            counts.update({k: v for k, v in value.items() if k not in counts})
        else:
            into[key] = (*into.get(key, ()), *value)


def _phrases(raw: object, language: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"vocabulary {language}: 'preferences' must be a table")
    return {normalize(str(k)): str(v) for k, v in raw.items()}


def preference_phrase(text: str, vocab: Vocabulary) -> str | None:
    """What a whole message asks of the preferences ("call me instead" -> "channel=call",
    "settings" -> "menu"), or None."""
    if not vocab.preferences:
        return None
    for candidate in (normalize(text), _core(text, vocab)):
        if candidate in vocab.preferences:
            return vocab.preferences[candidate]
    return None


@functools.lru_cache(maxsize=64)
def _longest_phrase(phrases: frozenset[str]) -> int:
    """How many words the longest of `phrases` has: once per vocabulary, not per message."""
    return max((len(p.split()) for p in phrases), default=0)


def _core(text: str, vocab: Vocabulary) -> str:
    """The message without filler around it: "yes please" -> "yes", "không, cảm ơn" -> "khong".

    Filler may be several words ("thank you", "cảm ơn"): the longest match goes first.
    """
    return " ".join(_without_around(normalize(text).split(), vocab.filler))


def _without_around(words: list[str], phrases: frozenset[str]) -> list[str]:
    """`words` with every phrase of `phrases` taken off both ends, the longest first."""
    longest = _longest_phrase(phrases)
    changed = True
    while changed and words:
        changed = False
        for n in range(min(longest, len(words)), 0, -1):
            if " ".join(words[-n:]) in phrases:
                del words[-n:]
                changed = True
                break
            if " ".join(words[:n]) in phrases:
                del words[:n]
                changed = True
                break
    return words


def _number_word(phrase: str, vocab: Vocabulary) -> int | None:
    """A number word or phrase, or a word carrying one of the language's endings."""
    if phrase in vocab.numbers:
        return vocab.numbers[phrase]
    for ending in vocab.suffixes:
        stem = phrase.removesuffix(ending)
        if stem != phrase and stem in vocab.numbers:
            return vocab.numbers[stem]
    return None


def _numbers_in(words: list[str], vocab: Vocabulary) -> set[int]:
    """Every number word or phrase, longest first: "二 十 八 日" -> {28}, "one or two" -> {1, 2}."""
    longest = max((len(k.split()) for k in vocab.numbers), default=0)
    found: set[int] = set()
    i = 0
    while i < len(words):
        if " ".join(words[i : i + 2]) in vocab.not_numbers:  # "no one will come"
            i += 2
            continue
        for n in range(min(longest, len(words) - i), 0, -1):
            value = _number_word(" ".join(words[i : i + n]), vocab)
            if value is not None:
                found.add(value)
                i += n
                break
        else:
            i += 1
    return found


def is_keyword(text: str, words: frozenset[str]) -> bool:
    """Twilio's rule: the whole message is the keyword, in any case, punctuation tolerated."""
    return normalize(text) in words


def is_opt_out(text: str, vocab: Vocabulary) -> bool:
    """An opt-out keyword, alone (Twilio's rule) or with only courtesy words around it ("stop
    please", "STOP thank you", "alto por favor": [reading] `courtesy`). Never a keyword inside
    other words ("end of the month", "stop the metformin")."""
    if is_keyword(text, vocab.opt_out):
        return True
    words = _without_around(normalize(text).split(), compiled_for(vocab, _COURTESY, _courtesy))
    return bool(words) and " ".join(words) in vocab.opt_out


_COURTESY: dict[int, tuple[Vocabulary, frozenset[str]]] = {}


def _courtesy(vocab: Vocabulary) -> frozenset[str]:
    """The vocabulary's courtesy words, normalised (once per language: every text asks)."""
    return frozenset(normalize(c) for c in vocab.reading.get("courtesy", ())) - {""}


def yes_or_no(text: str, vocab: Vocabulary) -> bool | None:
    """True for yes, False for no, None when unclear ("yes and no", "maybe", emoji)."""
    core = _core(text, vocab)
    if not core:
        return None
    if core in vocab.yes:
        return True
    if core in vocab.no:
        return False
    # "yes I did", "no, not at all", "没有什么": the longest yes or no phrase at the start
    # decides, unless the next word or phrase says the opposite ("yes no", "是不是").
    words = core.split()
    lead = _leading_answer(words, vocab)
    if lead is None:
        return None
    said, length = lead
    after = _leading_answer(words[length:], vocab)
    if after is not None and after[0] != said:
        return None
    return said


def _leading_answer(words: list[str], vocab: Vocabulary) -> tuple[bool, int] | None:
    """(yes?, how many words) of the longest yes or no phrase the words start with."""
    for n in range(len(words), 0, -1):
        phrase = " ".join(words[:n])
        if phrase in vocab.no:
            return False, n
        if phrase in vocab.yes:
            return True, n
    return None


def is_acknowledgement(text: str, vocab: Vocabulary) -> bool:
    """ "thanks!", "ok", "👍": nothing for a pharmacist to read."""
    return _core(text, vocab) == "" or yes_or_no(text, vocab) is not None


def number(text: str, vocab: Vocabulary) -> int | None:
    """The one number in a short answer: "15", "the 15th", "el 15", "١٥", "１５号", "fifteen",
    "十五号", "二十八日", "십오일", "mười lăm".

    Any script's decimal digits count (Arabic-Indic too: Python reads every Unicode digit).
    Two different numbers ("12/15", "1 or 2") are ambiguous and give None.
    """
    text = TIME_OF_DAY.sub(" ", text)  # "around 3pm": no day of the month
    folded = unicodedata.normalize("NFKC", text)
    found = {int(d) for d in _DIGITS.findall(folded)}
    if len(found) == 1:
        return found.pop()
    if found:
        return None
    core = _core(text, vocab)
    whole = _number_word(core, vocab)
    if whole is not None:
        return whole
    # All the words, not the core: "the one you suggested" is no number ("the one" is in
    # not_numbers, and "the" is filler the core would have taken off).
    values = _numbers_in(normalize(text).split(), vocab)
    return values.pop() if len(values) == 1 else None


def language_choice(text: str, vocab: Vocabulary) -> str | None:
    """A message that names a language ("Español", "in English please", "中文")."""
    core = _core(text, vocab)
    if core in vocab.language_names:
        return vocab.language_names[core]
    return None


def asks_for_pharmacist(text: str, vocab: Vocabulary) -> bool:
    """A short message asking for a person: "pharmacist", "call me please".

    Long messages that merely mention the pharmacist are answers, not requests.
    """
    core = _core(text, vocab)
    if core in vocab.pharmacist:
        return True
    words = core.split()
    if len(words) > 4 or not any(w in vocab.pharmacist for w in words):
        return False
    # "de qué farmacia me habla?" asks who is writing (a question back), not for a person.
    padded = f" {normalize(text)} "
    return not any(f" {normalize(p)} " in padded for p in vocab.reading.get("who", ()))


def sounds_like_revocation(text: str, vocab: Vocabulary) -> bool:
    """Free text that may mean "stop messaging me" (FCC 24-24): staff decide."""
    padded = f" {normalize(text)} "
    return any(f" {phrase} " in padded for phrase in vocab.revocation)


# ---------------------------------------------------------------------- birth dates

_YEARS = range(1900, 2101)


def _date(year: int, month: int, day: int) -> dt.date | None:
    if year not in _YEARS:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def keyed_birth_date(digits: str) -> dt.date | None:
    """Eight keys, MMDDYYYY as US callers say a date: "03041950" is March 4, 1950."""
    keys = "".join(c for c in digits if c.isdigit())
    if len(keys) != 8 or not keys.isascii():
        return None
    return _date(int(keys[4:]), int(keys[:2]), int(keys[2:4]))


def spoken_birth_date(text: str, vocab: Vocabulary) -> dt.date | None:
    """A birth date as speech recognition writes it, in the caller's language: "March 4th
    1950", "4 de marzo de 1950", "1950年3月4日", "4 марта 1950", "ngày 4 tháng 3 năm 1950",
    or eight digits. The month is a word of the vocabulary (or, with none, the first of three
    numbers, as in the US); the year has four digits. Anything else is None: ask again."""
    words = normalize(text).split()
    if not words:
        return None
    joined = "".join(w for w in words if w.isdigit())
    if len(words) <= 3 and len(joined) == 8:
        return keyed_birth_date(joined)
    month: int | None = None
    longest = max((len(k.split()) for k in vocab.months), default=0)
    i = 0
    rest: list[str] = []
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if phrase in vocab.months and month is None:
                month = vocab.months[phrase]
                i += n
                break
        else:
            rest.append(words[i])
            i += 1
    digits: list[int] = []
    spelled: list[int] = []
    for word in rest:
        found = [int(d) for d in _DIGITS.findall(unicodedata.normalize("NFKC", word))]
        if found:
            digits.extend(found)
            continue
        value = _number_word(word, vocab)
        if value is not None:
            spelled.append(value)
    # Digits first: "ngày 4 tháng 3 năm 1950" has "năm" (year, and also five) as a word.
    return _day_month_year(digits, month) or _day_month_year(digits + spelled, month)


def _day_month_year(numbers: list[int], month: int | None) -> dt.date | None:
    years = [n for n in numbers if n in _YEARS]
    others = [n for n in numbers if n not in _YEARS]
    if len(years) != 1:
        return None
    if month is None:
        if len(others) != 2:
            return None
        month, day = others
    elif len(others) == 1:
        day = others[0]
    else:
        return None
    return _date(years[0], month, day)
