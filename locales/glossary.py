"""The glossaries: one term per pharmacy word in each language, its register and keywords,
and what a catalog must never say (locales/glossary.toml, locales/<folder>/glossary.toml).

`problems` checks one catalog's translations against its glossary and returns one sentence
per problem; the test suite runs it on every catalog, and `medsync catalogs check` through
`catalog_problems`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from locales import review

LOCALES = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"%\(\w+\)s")
# The keywords a msgid names in capitals ("Reply STOP to unsubscribe").
_KEYWORD = {word: re.compile(rf"\b{word}\b") for word in ("STOP", "START", "HELP")}


@dataclass(frozen=True)
class Term:
    id: str
    english: str
    msgid_words: tuple[str, ...]


@dataclass(frozen=True)
class LanguageTerm:
    term: str
    accept: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Glossary:
    language: str
    register: str
    avoid_words: tuple[str, ...]
    stop: str
    help: str
    terms: Mapping[str, LanguageTerm]
    avoid: Mapping[str, str]  # text -> why


def _plain(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def english_terms(locales: Path = LOCALES) -> dict[str, Term]:
    with (locales / "glossary.toml").open("rb") as f:
        raw = tomllib.load(f)
    return {
        tid: Term(tid, str(t["english"]), tuple(str(w) for w in t["msgid_words"]))
        for tid, t in raw["term"].items()
    }


def read_glossary(folder: str, locales: Path = LOCALES) -> Glossary:
    with (locales / folder / "glossary.toml").open("rb") as f:
        raw = tomllib.load(f)
    return Glossary(
        language=str(raw["language"]),
        register=str(raw["register"]["rule"]),
        avoid_words=tuple(str(w) for w in raw["register"].get("avoid_words", [])),
        stop=str(raw["keywords"]["stop"]),
        help=str(raw["keywords"]["help"]),
        terms={
            tid: LanguageTerm(str(t["term"]), tuple(str(a) for a in t["accept"]), t.get("note", ""))
            for tid, t in raw["term"].items()
        },
        avoid={str(a["text"]): str(a.get("why", "")) for a in raw.get("avoid", [])},
    )


def names_term(msgid: str, term: Term) -> bool:
    """Whether an English msgid uses the term ("refill" finds "Refills", not "prefill")."""
    return any(re.search(rf"\b{re.escape(w)}", msgid, re.IGNORECASE) for w in term.msgid_words)


def names_keyword(msgid: str, keyword: str) -> bool:
    """Whether an English msgid tells the patient to send STOP, START or HELP (in capitals:
    "say stop" on a call is not a keyword to type)."""
    return bool(_KEYWORD[keyword].search(msgid))


def problems(
    translations: Mapping[str, str], glossary: Glossary, terms: Mapping[str, Term]
) -> list[str]:
    """Every way the translations (msgid -> msgstr) depart from the glossary, one sentence
    each: a missing term, a forbidden word, a keyword not named as it must be."""
    found: list[str] = []
    missing_terms = sorted(set(terms) - set(glossary.terms))
    if missing_terms:
        found.append(f"the glossary has no term for {', '.join(missing_terms)}")
    familiar = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(w) for w in glossary.avoid_words) + r")(?!\w)"
    )
    for msgid, text in sorted(translations.items()):
        if not text:
            continue
        short = msgid if len(msgid) <= 50 else msgid[:47] + "..."
        words = _PLACEHOLDER.sub(" ", text)  # "%(prorated)s" is no English left in
        plain = _plain(words)
        for tid, term in terms.items():
            chosen = glossary.terms.get(tid)
            used = chosen is not None and any(_plain(f) in plain for f in chosen.accept)
            if chosen is not None and names_term(msgid, term) and not used:
                found.append(f"{short!r} says {term.english!r}: use {chosen.term!r}")
        for avoided, why in glossary.avoid.items():
            if _plain(avoided) in plain:
                found.append(f"{short!r} contains {avoided!r}: {why}")
        if glossary.avoid_words:
            for word in sorted(set(familiar.findall(unicodedata.normalize("NFC", words)))):
                found.append(f"{short!r} uses {word!r}: {glossary.register}")
        if names_keyword(msgid, "STOP"):
            for required in ("STOP", glossary.stop):
                if required not in text:
                    found.append(f"{short!r} tells how to opt out without {required!r}")
        if names_keyword(msgid, "START") and "START" not in text:
            found.append(f"{short!r} must keep START in Latin letters")
        if names_keyword(msgid, "HELP") and glossary.help not in text:
            found.append(f"{short!r} must name HELP as {glossary.help!r}")
    return found


def translations(language: str, locales: Path = LOCALES) -> dict[str, str]:
    """A catalog's finished entries as it is on disk: msgid -> msgstr (fuzzy ones left out,
    as patients never get them)."""
    catalog = review.read_catalog(language, locales)
    return {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and not m.fuzzy
    }


def catalog_problems(language: str, locales: Path = LOCALES) -> list[str]:
    """`problems` for one language's catalog and glossary as they are on disk."""
    folder = language.replace("-", "_")
    if not (locales / folder / "glossary.toml").exists():
        return [f"no glossary yet: write locales/{folder}/glossary.toml (docs/TRANSLATING.md)"]
    return problems(
        translations(language, locales), read_glossary(folder, locales), english_terms(locales)
    )
