"""The review status at the terminal (issue 20): `medsync catalogs report` shows each catalog's
share reviewed and checked and that Haitian Creole's calls are keypad only; `medsync catalogs
check` runs the glossary check and the segment limits; `medsync catalogs mark` records a review
in the catalog, and a catalog reviewed in full is no longer a draft anywhere."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner, Result

from bot.cli.main import main
from bot.languages import catalogs as i18n
from bot.languages.review_status import review_status
from bot.languages.switches import switches
from locales import review

UNSUBSCRIBE = "Reply STOP to opt out."


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _block(output: str, heading: str) -> str:
    """One language's lines of the report."""
    return output.split(f"\n{heading}")[1].split("\n\n")[0]


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of locales/ that the commands read and write instead of the real one."""
    copy = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, copy)
    monkeypatch.setattr(i18n, "LOCALES", copy)
    i18n.translations.cache_clear()
    yield copy
    i18n.translations.cache_clear()


def test_the_report_shows_each_catalogs_review_and_the_keypad_only_calls() -> None:
    result = _run("catalogs", "report", "--top", "1")
    assert result.exit_code == 0, result.output
    shares = review.review_shares()
    for tag, counted in shares.items():
        name = i18n.registry()[tag].english_name
        block = _block(result.output, f"{name} ({tag})")
        checked = counted.counts.get("checked", 0)
        assert (
            f"  DRAFT: 0 of {counted.total} entries reviewed by a qualified medical translator "
            f"(0%); {checked} checked, a second reader needed ({checked * 100 // counted.total}%)"
        ) in block
        assert ("calls: keypad only" in block) == (tag == "ht"), tag
    assert "DRAFT" not in _block(result.output, "English (en)")
    assert "Haitian Creole voice" in _block(result.output, "Haitian Creole (ht)")
    assert "Draft: a qualified medical translator has not yet reviewed all" in result.output


def test_the_check_says_each_catalog_follows_its_glossary_and_fits_its_limits() -> None:
    result = _run("catalogs", "check")
    assert result.exit_code == 0, result.output
    assert "es: complete, review: draft; glossary followed; automated texts within 5 segments" in (
        result.output
    )
    assert "en: complete, review: source; automated texts within 2 segments" in result.output
    assert "glossary followed" in result.output.split("ht: ")[1]


def test_the_check_names_a_glossary_departure_and_a_text_over_its_limit(
    locales: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = locales / "es" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="es")
    catalog[UNSUBSCRIBE].string = "Responda ALTO para cancelar."  # STOP left out
    with po.open("wb") as f:
        write_po(f, catalog, no_location=True, omit_header=False)
    registry = dict(i18n.registry())
    registry["es"] = i18n.Language(**{**vars(registry["es"]), "max_segments": 1})
    monkeypatch.setattr(i18n, "registry", lambda: registry)
    result = _run("catalogs", "check", "--language", "es")
    assert result.exit_code == 1
    assert "es: complete, review: draft\n" in result.output
    assert "  glossary: 'Reply STOP to opt out.' tells how to opt out without 'STOP'" in (
        result.output
    )
    assert "  over the limit: invitation takes 4 segments, the limit is 1" in result.output


def test_marking_a_review_records_it_and_a_whole_review_ends_the_draft(
    locales: Path, tmp_path: Path
) -> None:
    sent = tmp_path / "sent.txt"
    sent.write_text(f"{UNSUBSCRIBE}\n\nReply YES or NO.\n", encoding="utf-8")
    marked = _run(
        "catalogs", "mark", "ko", "--by", "Ji-won Park (CCHI)", "--on", "2027-01-15",
        "--entries-file", str(sent),
    )  # fmt: skip
    assert marked.exit_code == 0, marked.output
    assert (
        "Marked 2 entries of the Korean catalog as reviewed by Ji-won Park (CCHI), 2027-01-15."
        in (marked.output)
    )
    assert "Korean: 2 of " in marked.output
    written = review.read_catalog("ko", locales)
    assert review.entry_review(written[UNSUBSCRIBE]) == review.EntryReview(
        "reviewed", "Ji-won Park (CCHI)", dt.date(2027, 1, 15)
    )
    assert (
        review.read_catalog("ko")[UNSUBSCRIBE].user_comments != written[UNSUBSCRIBE].user_comments
    )
    report = _run("catalogs", "report", "--language", "ko", "--top", "0")
    assert "  DRAFT: 2 of " in report.output

    whole = _run("catalogs", "mark", "ko", "--by", "Ji-won Park (CCHI)", "--all")
    assert whole.exit_code == 0, whole.output
    assert "Every entry is reviewed: change the catalog's header" in whole.output
    assert not review_status(locales)["ko"].draft
    assert "  reviewed: " in _run("catalogs", "report", "--language", "ko").output
    korean = next(row for row in switches({}) if row.language == "ko")
    assert not korean.draft and korean.review is not None
    assert korean.review.label == "reviewed: 100% reviewed, 0% checked"


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["en", "--by", "Ana", "--all"], "No catalog to mark for 'en'"),
        (["xx", "--by", "Ana", "--all"], "No catalog to mark for 'xx'"),
        (["ko", "--by", "Ana"], "Name the entries to mark"),
        (["ko", "--by", "Ana", "--entry", "Hello?"], "1 of the entries are not in the ko catalog"),
        (["ko", "--by", " ", "--all"], "needs the name of whoever read the entry"),
        (["ko", "--by", "Ana", "--on", "15/01/2027", "--all"], "is not a date such as"),
    ],
)
def test_a_mark_that_cannot_be_made_changes_nothing(
    locales: Path, args: list[str], sentence: str
) -> None:
    before = review.catalog_path("ko", locales).read_bytes()
    result = _run("catalogs", "mark", *args)
    assert result.exit_code == 1, result.output
    assert sentence in result.output
    assert review.catalog_path("ko", locales).read_bytes() == before
