"""Understanding what patients type or say: keywords, yes and no, days of the month.

The words themselves are data (locales/<lang>/vocabulary.toml); bot/ loads them and
hands the dialogs a `Vocabulary`. The same functions read texts and speech results.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_DIGITS = re.compile(r"\d+")


def normalize(text: str) -> str:
    """Casefold, drop accents, turn punctuation and symbols (emoji too) into spaces.

    "  Stop. " -> "stop"; "SÍ!" -> "si"; "el 15º" -> "el 15"; "中文" stays "中文".
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
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


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
    # Words that may stand around an answer without changing it ("please", "the", "el").
    filler: frozenset[str] = frozenset()

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
            filler=words("filler"),
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
        for v in reversed(vocabs):  # the first vocabulary wins a clash
            names.update(v.language_names)
            numbers.update(v.numbers)
        return Vocabulary(
            yes=union("yes"),
            no=union("no"),
            opt_out=union("opt_out"),
            opt_in=union("opt_in"),
            help=union("help"),
            pharmacist=union("pharmacist"),
            revocation=union("revocation"),
            language_names=names,
            numbers=numbers,
            filler=union("filler"),
        )


def _core(text: str, vocab: Vocabulary) -> str:
    """The message without filler words around it: "yes please" -> "yes"."""
    words = normalize(text).split()
    while words and words[-1] in vocab.filler:
        words.pop()
    while words and words[0] in vocab.filler:
        words.pop(0)
    return " ".join(words)


def is_keyword(text: str, words: frozenset[str]) -> bool:
    """Twilio's rule: the whole message is the keyword, in any case, punctuation tolerated."""
    return normalize(text) in words


def yes_or_no(text: str, vocab: Vocabulary) -> bool | None:
    """True for yes, False for no, None when unclear ("yes and no", "maybe", emoji)."""
    core = _core(text, vocab)
    if not core:
        return None
    if core in vocab.yes:
        return True
    if core in vocab.no:
        return False
    words = core.split()
    # "yes I did", "no, not at all": the first word decides when nothing contradicts it.
    says_yes = any(w in vocab.yes for w in words[:2])
    says_no = any(w in vocab.no for w in words[:2])
    if words[0] in vocab.yes and not says_no:
        return True
    if words[0] in vocab.no and not says_yes:
        return False
    return None


def is_acknowledgement(text: str, vocab: Vocabulary) -> bool:
    """ "thanks!", "ok", "👍": nothing for a pharmacist to read."""
    return _core(text, vocab) == "" or yes_or_no(text, vocab) is not None


def number(text: str, vocab: Vocabulary) -> int | None:
    """The one number in a short answer: "15", "the 15th", "el 15", "١٥", "fifteen".

    Two different numbers ("12/15", "1 or 2") are ambiguous and give None.
    """
    folded = unicodedata.normalize("NFKC", text)
    found = {int(d) for d in _DIGITS.findall(folded)}
    if len(found) == 1:
        return found.pop()
    if found:
        return None
    core = _core(text, vocab)
    if core in vocab.numbers:
        return vocab.numbers[core]
    values = {vocab.numbers[w] for w in core.split() if w in vocab.numbers}
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
    return len(words) <= 4 and any(w in vocab.pharmacist for w in words)


def sounds_like_revocation(text: str, vocab: Vocabulary) -> bool:
    """Free text that may mean "stop messaging me" (FCC 24-24): staff decide."""
    padded = f" {normalize(text)} "
    return any(f" {phrase} " in padded for phrase in vocab.revocation)
