"""Review status per catalog entry (locales/review.py): the `# review:` lines survive babel's
writing and merging, lapse when the English or the translation changes, and add up to the
share of each catalog a qualified medical translator has reviewed. And the phone: which
languages are keypad only (locales/voice.toml [keypad_only])."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.channels.voice_twiml import speaker_for, voice_book
from bot.languages import catalogs as i18n
from locales import review

DAY = dt.date(2026, 12, 7)
LONG_NAME = "MedSync translation review (second reader needed)"


def _catalog(*entries: tuple[str, str]) -> Catalog:
    catalog = Catalog(locale="es")
    for msgid, msgstr in entries:
        catalog.add(msgid, msgstr)
    return catalog


def _round_trip(catalog: Catalog) -> Catalog:
    """Through write_po and read_po, as every tool that edits a catalog does."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, no_location=True, omit_header=False)
    buffer.seek(0)
    return read_po(buffer, locale="es")


def test_an_entry_marked_checked_reads_back_after_babel_wraps_the_line() -> None:
    catalog = _catalog(("Reply YES or NO.", "Responda SÍ o NO."), ("Thank you.", "Gracias."))
    assert review.mark(catalog, ["Reply YES or NO."], "checked", LONG_NAME, DAY) == [
        "Reply YES or NO."
    ]
    again = _round_trip(catalog)
    assert len(again["Reply YES or NO."].user_comments) > 1  # wrapped at 76 characters
    assert review.entry_review(again["Reply YES or NO."]) == review.EntryReview(
        "checked", LONG_NAME, DAY
    )
    assert review.entry_review(again["Thank you."]).status == "draft"


def test_marking_again_replaces_the_line_and_keeps_other_comments() -> None:
    catalog = _catalog(("Thank you.", "Gracias."))
    catalog["Thank you."].user_comments = ["Short on purpose: said at the end of a call."]
    review.mark(catalog, ["Thank you."], "checked", LONG_NAME, DAY)
    again = _round_trip(catalog)
    review.mark(again, ["Thank you."], "reviewed", "Ana Pérez (CoreCHI)", dt.date(2027, 1, 15))
    final = _round_trip(again)["Thank you."]
    assert final.user_comments[0] == "Short on purpose: said at the end of a call."
    assert review.entry_review(final) == review.EntryReview(
        "reviewed", "Ana Pérez (CoreCHI)", dt.date(2027, 1, 15)
    )


def test_a_changed_translation_or_english_is_no_longer_vouched_for() -> None:
    catalog = _catalog(("Thank you.", "Gracias."), ("Goodbye.", "Adiós."))
    review.mark(catalog, ["Thank you.", "Goodbye."], "reviewed", "Ana Pérez", DAY)
    catalog["Thank you."].string = "Muchas gracias."
    assert review.entry_review(catalog["Thank you."]).status == "changed"
    # `pybabel update` carries a changed msgid's comments over and marks it fuzzy.
    template = Catalog()
    template.add("Thank you.")
    template.add("Goodbye!")
    catalog.update(template)
    assert review.entry_review(catalog["Goodbye!"]).status == "missing"
    catalog["Goodbye!"].flags.discard("fuzzy")
    assert review.entry_review(catalog["Goodbye!"]).status == "changed"


def test_nothing_unfinished_can_be_marked_and_a_bad_line_is_refused() -> None:
    catalog = _catalog(("Thank you.", ""), ("Goodbye.", "Adiós."))
    with pytest.raises(review.ReviewLineError, match="no finished translation"):
        review.mark(catalog, ["Thank you."], "checked", LONG_NAME, DAY)
    with pytest.raises(review.ReviewLineError, match="must be one of"):
        review.mark(catalog, ["Goodbye."], "approved", LONG_NAME, DAY)
    with pytest.raises(review.ReviewLineError, match="needs the name"):
        review.mark(catalog, ["Goodbye."], "reviewed", "  ", DAY)
    catalog["Goodbye."].user_comments = ["review: reviewed by Ana on Monday"]
    with pytest.raises(review.ReviewLineError, match="cannot read"):
        review.entry_review(catalog["Goodbye."])
    fingerprint = review.fingerprint("Goodbye.", "Adiós.")
    catalog["Goodbye."].user_comments = [f"review: reviewed by Ana, 2026-13-45 [{fingerprint}]"]
    with pytest.raises(review.ReviewLineError, match="no such date"):
        review.entry_review(catalog["Goodbye."])


def test_the_share_counts_only_a_qualified_review_as_reviewed() -> None:
    catalog = _catalog(("a", "A"), ("b", "B"), ("c", "C"), ("d", ""))
    review.mark(catalog, ["a"], "reviewed", "Ana Pérez", dt.date(2027, 1, 15))
    review.mark(catalog, ["b"], "checked", LONG_NAME, DAY)
    counted = review.catalog_review("es", catalog, ["a", "b", "c", "d", "e"])
    assert counted.total == 5
    assert counted.counts == {"reviewed": 1, "checked": 1, "draft": 1, "missing": 2}
    assert counted.reviewed_share == pytest.approx(0.2)
    assert counted.read_share == pytest.approx(0.4)
    assert (counted.last_reviewed, counted.last_checked) == (dt.date(2027, 1, 15), DAY)
    assert counted.is_draft() and not counted.is_draft(threshold=0.2)


def test_every_catalog_has_a_share_and_claims_no_review_that_did_not_happen() -> None:
    shares = review.review_shares()
    with_catalogs = {t for t in i18n.registry() if t != "en" and i18n.has_catalog(t)}
    assert set(shares) == with_catalogs
    for language, counted in shares.items():
        assert counted.total == len(i18n.template_ids())
        assert sum(counted.counts.values()) == counted.total
        # No qualified medical translator has reviewed any entry yet (docs/TRANSLATING.md);
        # what was mended in issue 20 is "checked", waiting for a second reader.
        assert counted.counts.get("reviewed", 0) == 0, language
        assert counted.counts.get("checked", 0) > 0, language
        assert counted.is_draft()
        assert i18n.registry()[language].review == "draft"


def test_writing_a_catalog_back_keeps_its_review_status_header(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(review.LOCALES, locales)
    catalog = review.read_catalog("ko", locales)
    review.write_catalog("ko", catalog, locales)
    written = review.catalog_path("ko", locales).read_text(encoding="utf-8")
    assert written == review.catalog_path("ko").read_text(encoding="utf-8")
    assert "Review status: DRAFT" in written.split("msgid", 1)[0]


def test_keypad_only_lists_exactly_the_languages_without_a_voice() -> None:
    listed = review.keypad_only()
    without_voice = {
        t for t in i18n.registry() if i18n.has_catalog(t) and t not in voice_book().voices
    }
    assert set(listed) == without_voice == {"ht"}
    for language in listed:
        speaker = speaker_for(language)
        assert speaker.stand_in and not speaker.speech and speaker.language == "en"
        assert listed[language].startswith("keypad only")
