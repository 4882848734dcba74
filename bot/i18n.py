"""Catalogs and vocabularies: patient-facing words in the patient's language.

Catalogs are read from locales/<lang>/LC_MESSAGES/messages.po and compiled in memory, so a
fresh checkout needs no build step. English is the msgid itself, and the fallback.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tomllib
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from dialogs.parse import Vocabulary
from dialogs.turn import Reply

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"
log = logging.getLogger(__name__)


def folder(language: str) -> str:
    """BCP 47 tag to the catalog folder: "zh-Hans" -> "zh_Hans"."""
    return language.replace("-", "_")


def available_languages() -> list[str]:
    """Languages with a vocabulary (English always), as BCP 47 tags."""
    return sorted(p.parent.name.replace("_", "-") for p in LOCALES.glob("*/vocabulary.toml"))


@lru_cache
def translations(language: str) -> NullTranslations:
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
        return Locale.parse(language, sep="-")
    except (ValueError, LookupError):
        return Locale.parse(DEFAULT_LANGUAGE)


def format_date(day: dt.date, language: str) -> str:
    """ "Tuesday, December 15, 2026" / "martes, 15 de diciembre de 2026": the patient's way."""
    return babel_format_date(day, format="full", locale=babel_locale(language))


def render(reply: Reply, language: str) -> str:
    """A reply as the patient reads or hears it."""
    params: dict[str, str] = {}
    for name, value in reply.params.items():
        if isinstance(value, dt.date):
            params[name] = format_date(value, language)
        elif isinstance(value, tuple):
            params[name] = format_list(list(value), style="or", locale=babel_locale(language))
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
def vocabulary_for(language: str) -> Vocabulary:
    """The patient's words, English, and every language's opt-out words and language names."""
    vocabularies = all_vocabularies()
    own = vocabularies.get(language, Vocabulary())
    english = vocabularies.get(DEFAULT_LANGUAGE, Vocabulary())
    everyone = [
        Vocabulary(opt_out=v.opt_out, language_names=v.language_names)
        for lang, v in sorted(vocabularies.items())
        if lang not in (language, DEFAULT_LANGUAGE)
    ]
    return own.merge(english, *everyone)
