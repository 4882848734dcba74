"""Catalogs and vocabularies: patient-facing words in the patient's language.

Catalogs are read from locales/<lang>/LC_MESSAGES/messages.po and compiled in memory, so a
fresh checkout needs no build step. English is the msgid itself, and the fallback.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from dialogs.parse import Vocabulary
from dialogs.turn import Reply

LOCALES = Path(__file__).resolve().parents[2] / "locales"
DEFAULT_LANGUAGE = "en"
log = logging.getLogger(__name__)


def folder(language: str) -> str:
    """BCP 47 tag to the catalog folder: "zh-Hans" -> "zh_Hans"."""
    return language.replace("-", "_")


def available_languages() -> list[str]:
    """Languages with a vocabulary (English always), as BCP 47 tags."""
    return sorted(p.parent.name.replace("_", "-") for p in LOCALES.glob("*/vocabulary.toml"))


# ---------------------------------------------------------------- the language registry

REVIEW_STATES = ("source", "draft", "reviewed")


@dataclass(frozen=True)
class Language:
    """One entry of locales/languages.toml (its header explains each field)."""

    tag: str
    english_name: str
    native_name: str
    aliases: tuple[str, ...] = ()
    # Other names pharmacy systems give the language ("Mandarin", "Creole", "Filipino").
    names: tuple[str, ...] = ()
    enabled: bool = True
    review: str = "draft"
    reviewed_by: str = ""
    max_segments: int = 3
    # The ten digits numbers are written with, zero first ("٠١٢٣٤٥٦٧٨٩"); empty: 0-9.
    digits: str = ""
    # For a language CLDR has no dates for: names Monday first, January first, and a pattern
    # with {weekday} {day} {month} {year}. Empty: babel's "full" date format.
    weekdays: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    date_pattern: str = ""
    # For a language CLDR has no lists for: the word for "or" ("Robert oswa Linda").
    list_or: str = ""
    # False for scripts that put no space between sentences (Chinese): "您想参加吗？请回复…"
    sentence_space: bool = True

    @property
    def reviewed(self) -> bool:
        return self.review in ("source", "reviewed")


class RegistryError(ValueError):
    """locales/languages.toml says something MedSync cannot use."""


def _strings(raw: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise RegistryError(f"languages.toml: {raw.get('tag')}: {key} must be a list")
    return tuple(str(v) for v in value)


def _language_entry(raw: Mapping[str, object]) -> Language:
    tag = str(raw.get("tag", ""))
    try:
        entry = Language(
            tag=tag,
            english_name=str(raw["english_name"]),
            native_name=str(raw["native_name"]),
            aliases=_strings(raw, "aliases"),
            names=_strings(raw, "names"),
            enabled=bool(raw.get("enabled", True)),
            review=str(raw.get("review", "draft")),
            reviewed_by=str(raw.get("reviewed_by", "")),
            max_segments=int(str(raw.get("max_segments", 3))),
            digits=str(raw.get("digits", "")),
            weekdays=_strings(raw, "weekdays"),
            months=_strings(raw, "months"),
            date_pattern=str(raw.get("date_pattern", "")),
            list_or=str(raw.get("list_or", "")),
            sentence_space=bool(raw.get("sentence_space", True)),
        )
    except (KeyError, ValueError) as error:
        problem = f"languages.toml: the entry for {tag!r} is incomplete ({error})"
        raise RegistryError(problem) from None
    if not tag or entry.review not in REVIEW_STATES:
        raise RegistryError(f"languages.toml: {tag!r}: needs a tag, and review in {REVIEW_STATES}")
    if entry.max_segments < 1:
        raise RegistryError(f"languages.toml: {tag}: max_segments must be 1 or more")
    if entry.digits and len(entry.digits) != 10:
        raise RegistryError(f"languages.toml: {tag}: digits must be ten characters, 0 to 9")
    if entry.date_pattern and (len(entry.weekdays) != 7 or len(entry.months) != 12):
        raise RegistryError(f"languages.toml: {tag}: a date_pattern needs 7 weekdays, 12 months")
    return entry


@lru_cache
def registry() -> dict[str, Language]:
    """Every language MedSync knows, in menu order, by tag."""
    with (LOCALES / "languages.toml").open("rb") as f:
        raw = tomllib.load(f)
    entries = [_language_entry(item) for item in raw.get("language", [])]
    by_tag = {e.tag: e for e in entries}
    if len(by_tag) != len(entries) or DEFAULT_LANGUAGE not in by_tag:
        raise RegistryError("languages.toml: tags must be unique and English must be listed")
    return by_tag


def has_catalog(language: str) -> bool:
    """English is the msgids themselves; every other language needs its messages.po."""
    return language == DEFAULT_LANGUAGE or _catalog_file(LOCALES, language)


@lru_cache
def _catalog_file(locales: Path, language: str) -> bool:
    """Looked for once per process (every text asks, for the language menu): catalogs are
    compiled once per process too, so a catalog added later is served after a restart."""
    return (locales / folder(language) / "LC_MESSAGES" / "messages.po").exists()


@lru_cache
def registry_tag(tag: str | None) -> str | None:
    """The registry language a stored tag names: "es-MX" -> "es" (dropping subtags),
    "zh-TW" -> "zh-Hant" and "fil" -> "tl" (aliases); None for a language not listed."""
    if not tag:
        return None
    names: dict[str, str] = {}
    for entry in registry().values():
        names[entry.tag.casefold()] = entry.tag
        names.update({alias.casefold(): entry.tag for alias in entry.aliases})
    subtags = tag.replace("_", "-").casefold().split("-")
    while subtags:
        found = names.get("-".join(subtags))
        if found is not None:
            return found
        subtags.pop()
    return None


@lru_cache(maxsize=256)
def language_named(name: str) -> str | None:
    """The tag for a language given by its name, as pharmacy systems often keep it: a
    registry language's English or native name or other names ("Spanish", "Español",
    "Creole" -> "ht"), else any language CLDR names in English ("French" -> "fr"); None when
    the name is no language's. Matched without case, accents kept."""
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return None
    for entry in registry().values():
        known = (entry.english_name, entry.native_name, *entry.names)
        if wanted in (known_name.casefold() for known_name in known):
            return entry.tag
    for code, english in Locale("en").languages.items():
        if english.casefold() == wanted:
            return str(code).replace("_", "-")
    return None


def resolve(tag: str | None) -> str:
    """The language MedSync can write for a stored tag: its registry language when that has a
    catalog, else English ("fr" -> "en")."""
    language = registry_tag(tag)
    return language if language is not None and has_catalog(language) else DEFAULT_LANGUAGE


def is_enabled(language: str, overrides: Mapping[str, bool] | None = None) -> bool:
    """On for this pharmacy: its own switch if it set one, else the registry's default."""
    entry = registry().get(language)
    if entry is None or language == DEFAULT_LANGUAGE:
        return language == DEFAULT_LANGUAGE
    return bool((overrides or {}).get(language, entry.enabled))


def served_language(tag: str | None, overrides: Mapping[str, bool] | None = None) -> str:
    """The language a patient is actually written to: theirs, or English when the pharmacy
    turned it off or MedSync has no catalog for it."""
    language = resolve(tag)
    return language if is_enabled(language, overrides) else DEFAULT_LANGUAGE


def offered_languages(overrides: Mapping[str, bool] | None = None) -> tuple[tuple[str, str], ...]:
    """(tag, native name) of every language a patient may choose here, in menu order."""
    return tuple(
        (e.tag, e.native_name)
        for e in registry().values()
        if has_catalog(e.tag) and is_enabled(e.tag, overrides)
    )


@lru_cache
def translations(language: str) -> NullTranslations:
    language = resolve(language)
    po = LOCALES / folder(language) / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=folder(language))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    return Translations(fp=buffer)


@lru_cache
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(resolve(language), sep="-")
    except (ValueError, LookupError):
        return Locale.parse(DEFAULT_LANGUAGE)


def format_date(day: dt.date, language: str) -> str:
    """ "Tuesday, December 15, 2026" / "martes, 15 de diciembre de 2026": the patient's way."""
    entry = registry().get(resolve(language))
    if entry is not None and entry.date_pattern:
        return entry.date_pattern.format(
            weekday=entry.weekdays[day.weekday()],
            day=day.day,
            month=entry.months[day.month - 1],
            year=day.year,
        )
    return babel_format_date(day, format="full", locale=babel_locale(language))


def format_choices(names: tuple[str, ...], language: str) -> str:
    """ "Robert or Linda", "Robert o Linda", "Robert或Linda": one of several names."""
    entry = registry().get(resolve(language))
    if entry is not None and entry.list_or and len(names) > 1:
        return f"{', '.join(names[:-1])} {entry.list_or} {names[-1]}"
    return format_list(list(names), style="or", locale=babel_locale(language))


def sentence_gap(language: str) -> str:
    """What goes between two sentences of one message: a space, or nothing in Chinese."""
    entry = registry().get(resolve(language))
    return " " if entry is None or entry.sentence_space else ""


def format_number(value: int, language: str) -> str:
    """A day or a count, with the locale's signs and the registry's digits (no grouping)."""
    written = format_decimal(value, format="0", locale=babel_locale(language))
    entry = registry().get(resolve(language))
    if entry is None or not entry.digits:
        return written
    return written.translate(str.maketrans("0123456789", entry.digits))


def render(reply: Reply, language: str) -> str:
    """A reply as the patient reads or hears it."""
    params: dict[str, str] = {}
    for name, value in reply.params.items():
        if isinstance(value, dt.date):
            params[name] = format_date(value, language)
        elif isinstance(value, int) and not isinstance(value, bool):
            params[name] = format_number(value, language)
        elif isinstance(value, tuple) and name == "everyone":
            # all of them ("Robert and Linda"), where other lists offer one of them
            params[name] = format_list(list(value), locale=babel_locale(language))
        elif isinstance(value, tuple):
            params[name] = format_choices(value, language)
        else:
            params[name] = str(value)
    text = translations(language).gettext(reply.msgid)
    try:
        return text % params if params or "%(" in text else text
    except (KeyError, ValueError, TypeError):
        # A catalog whose placeholders differ from English: say it in English rather than fail.
        log.error("catalog %s: placeholders differ for %r", language, reply.msgid[:40])
        return reply.msgid % params


def _read_vocabulary(language: str) -> Vocabulary:
    path = LOCALES / folder(language) / "vocabulary.toml"
    if not path.exists():
        return Vocabulary()
    with path.open("rb") as f:
        return Vocabulary.of(tomllib.load(f), language)


@lru_cache
def all_vocabularies() -> dict[str, Vocabulary]:
    return {lang: _read_vocabulary(lang) for lang in available_languages()}


@lru_cache
@lru_cache(maxsize=64)
def vocabulary_for(language: str) -> Vocabulary:
    """The patient's words, English, and every language's opt-out words and language names."""
    vocabularies = all_vocabularies()
    language = resolve_vocabulary(language)
    own = vocabularies.get(language, Vocabulary())
    english = vocabularies.get(DEFAULT_LANGUAGE, Vocabulary())
    everyone = [
        Vocabulary(opt_out=v.opt_out, language_names=v.language_names)
        for lang, v in sorted(vocabularies.items())
        if lang not in (language, DEFAULT_LANGUAGE)
    ]
    return own.merge(english, *everyone)


def resolve_vocabulary(tag: str | None) -> str:
    """Like `resolve`, but a language's words count as soon as its vocabulary exists."""
    language = registry_tag(tag) or tag or DEFAULT_LANGUAGE
    return language if language in all_vocabularies() else DEFAULT_LANGUAGE


# ---------------------------------------------------------------- catalog checks


@dataclass(frozen=True)
class CatalogCheck:
    """What a catalog lacks against the template: each missing entry is sent in English."""

    language: str
    exists: bool
    missing: tuple[str, ...] = ()  # msgids with no translation (or only a fuzzy one)
    placeholder_errors: tuple[str, ...] = ()  # Babel's checkers, one sentence each

    @property
    def complete(self) -> bool:
        return self.exists and not self.missing and not self.placeholder_errors


def template_ids() -> set[str]:
    with (LOCALES / "messages.pot").open("rb") as f:
        return {m.id for m in read_po(f) if isinstance(m.id, str) and m.id}


def check_catalog(language: str) -> CatalogCheck:
    """Missing and fuzzy entries, and placeholders that differ from English (Babel's checks)."""
    if language == DEFAULT_LANGUAGE:
        return CatalogCheck(language, exists=True)
    po = LOCALES / folder(language) / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return CatalogCheck(language, exists=False, missing=tuple(sorted(template_ids())))
    with po.open("rb") as f:
        catalog = read_po(f, locale=folder(language))
    translated = {
        m.id for m in catalog if isinstance(m.id, str) and m.id and m.string and not m.fuzzy
    }
    errors = tuple(
        f"{str(m.id)[:50]!r}: {error}" for m, problems in catalog.check() for error in problems
    )
    return CatalogCheck(
        language,
        exists=True,
        missing=tuple(sorted(template_ids() - translated)),
        placeholder_errors=errors,
    )
