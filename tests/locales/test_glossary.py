"""Every catalog against its glossary (locales/glossary.toml and locales/<folder>/glossary.toml):
the chosen term wherever the English names a pharmacy word, the polite register, no word the
glossary forbids, STOP in Latin letters and the language's own word in every opt-out text,
START kept in Latin letters."""

from __future__ import annotations

import pytest

from bot.languages import catalogs as i18n
from dialogs.parse import is_keyword
from locales import glossary

FOLDERS = sorted(p.parts[-3] for p in i18n.LOCALES.glob("*/LC_MESSAGES/messages.po"))
TERMS = glossary.english_terms()


def _translations(folder: str) -> dict[str, str]:
    return glossary.translations(folder)


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_catalog_follows_its_glossary(folder: str) -> None:
    found = glossary.problems(_translations(folder), glossary.read_glossary(folder), TERMS)
    assert found == []


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_glossary_covers_every_term_and_its_keywords_are_understood(folder: str) -> None:
    words = glossary.read_glossary(folder)
    assert words.language == folder.replace("_", "-")
    assert set(words.terms) == set(TERMS)
    assert all(t.term and t.accept for t in words.terms.values())
    vocab = i18n.vocabulary_for(words.language)
    assert is_keyword(words.stop, vocab.opt_out), words.stop
    assert is_keyword(words.help, vocab.help), words.help
    assert is_keyword("STOP", vocab.opt_out) and is_keyword("START", vocab.opt_in)


def test_every_english_term_is_used_by_some_msgid() -> None:
    ids = i18n.template_ids()
    unused = [t.id for t in TERMS.values() if not any(glossary.names_term(m, t) for m in ids)]
    assert unused == []


def test_the_texts_that_name_keywords_are_the_opt_out_and_opt_in_texts() -> None:
    stop = {m for m in i18n.template_ids() if glossary.names_keyword(m, "STOP")}
    start = {m for m in i18n.template_ids() if glossary.names_keyword(m, "START")}
    assert "Reply STOP to opt out." in stop and len(stop) >= 6
    assert any(m.startswith("You are unsubscribed") for m in start)
    assert not any(glossary.names_keyword(m, "STOP") for m in ["To stop our calls, say stop."])


def test_the_check_names_each_departure() -> None:
    """A catalog that breaks each rule once is told so, one sentence per problem."""
    spanish = _translations("es")
    words = glossary.read_glossary("es")
    missed = "Have you missed any doses since your last pickup?"
    unsubscribe = "Reply STOP to opt out."
    stopped = next(m for m in spanish if m.startswith("You are unsubscribed"))
    broken = {
        **spanish,
        missed: "¿Ha olvidado alguna dosis desde su última recogida?",
        unsubscribe: "Responda ALTO para no recibir mensajes.",
        stopped: "Ya no recibirá mensajes. Responda EMPEZAR para volver.",
        "Reply YES or NO.": "Responde SÍ o NO, tú.",
    }
    found = glossary.problems(broken, words, TERMS)
    assert any("says 'missed dose'" in p for p in found)
    assert any("contains 'olvidado alguna dosis'" in p for p in found)
    assert any("opt out without 'STOP'" in p for p in found)
    assert any("must keep START" in p for p in found)
    assert any("uses 'tú'" in p for p in found)
    assert len(found) == 5


def test_a_familiar_word_is_found_as_a_whole_word_only() -> None:
    words = glossary.read_glossary("tl")
    polite = {"Reply YES or NO.": "Sumagot po ng OO o HINDI, sa kaunting araw, %(mong)s."}
    assert glossary.problems(polite, words, {}) == []
    familiar = {"Reply YES or NO.": "Sumagot ka ng OO o HINDI."}
    assert glossary.problems(familiar, words, {}) == [
        "'Reply YES or NO.' uses 'ka': " + words.register
    ]
