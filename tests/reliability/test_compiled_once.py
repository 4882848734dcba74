"""Catalogs, vocabularies and the reader's lexicons are compiled once per process (issue 19):
a text pays for none of them."""

from __future__ import annotations

from bot.languages import catalogs
from dialogs import reading


def test_catalogs_vocabularies_and_lexicons_are_kept() -> None:
    for language in ("en", "es", "zh_Hans"):
        assert catalogs.translations(language) is catalogs.translations(language)
        vocab = catalogs.vocabulary_for(language)
        assert catalogs.vocabulary_for(language) is vocab
        assert reading.lexicon(vocab) is reading.lexicon(vocab)
