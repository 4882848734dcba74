"""Lengths and gaps: every automated text fits its language's segment limit, `medsync catalogs
report` lists the longest messages, a missing catalog entry is sent in English and reported by
`medsync catalogs check`, and `medsync pharmacy languages` turns a language off, audited."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import languages as cli_languages
from bot.cli.main import main
from bot.languages import catalogs as i18n
from dialogs.turn import Say
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditEvent, Pharmacy
from tests.dialogs.test_golden import complete_catalogs

LANGUAGES = complete_catalogs()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_automated_text_fits_its_languages_limit(language: str) -> None:
    over = cli_languages.over_limit(language)
    assert over == [], [f"{m.what}: {m.segments}" for m in over]


def test_the_automated_texts_are_the_ones_the_engine_sends() -> None:
    texts = {m.what: m for m in cli_languages.automated_texts("zh-Hans")}
    assert set(texts) >= {"invitation", "check-in opener", "check-in reminder", "pickup reminder"}
    invitation = texts["invitation"].text
    assert invitation.startswith("Christopher您好，这里是Main Street Pharmacy。")
    assert invitation.endswith("回复“停止”或STOP退订。")  # how to stop, as outreach must say
    assert texts["invitation"].segments.encoding == "UCS-2"
    menu = {m.what: m for m in cli_languages.automated_texts("en")}[cli_languages.MENU]
    assert menu.segments.count <= cli_languages.MENU_MAX_SEGMENTS


def test_a_limit_too_tight_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = dict(i18n.registry())
    registry["ko"] = i18n.Language(**{**vars(registry["ko"]), "max_segments": 1})
    monkeypatch.setattr(i18n, "registry", lambda: registry)
    assert {m.what for m in cli_languages.over_limit("ko")} >= {"invitation"}
    result = CliRunner().invoke(main, ["catalogs", "report", "--language", "ko", "--check"])
    assert result.exit_code == 1
    assert "automated: invitation  OVER" in result.output


def test_the_report_lists_the_longest_messages_per_language() -> None:
    result = CliRunner().invoke(main, ["catalogs", "report", "--top", "2", "--check"])
    assert result.exit_code == 0, result.output
    for tag in ("en", "zh-Hans", "zh-Hant", "ko", "vi"):
        assert f"({tag}), review:" in result.output
    assert "Korean (ko), review: draft; " in result.output
    korean = result.output.split("Korean (ko)")[1].split("\n\n")[0].splitlines()
    listed = [line for line in korean if " seg " in line and "automated:" not in line]
    assert len(listed) == 2 and korean[1].startswith("  DRAFT: 0 of ")  # review, then lengths
    assert " UCS-2 " in result.output and " GSM-7 " in result.output


def test_the_report_refuses_an_unknown_language() -> None:
    result = CliRunner().invoke(main, ["catalogs", "report", "--language", "xx"])
    assert result.exit_code == 1
    assert "No language xx in locales/languages.toml" in result.output


def test_sample_parameters_cover_every_placeholder() -> None:
    guessed = {g for m in cli_languages.messages("en") for g in m.guessed}
    assert guessed == set(), f"add sample values for {guessed} to bot/cli_languages.py"


@pytest.fixture
def gappy_korean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A copy of locales/ whose Korean catalog lost one entry and broke a placeholder."""
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, locales)
    po = locales / "ko" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="ko")
    catalog["Reply YES or NO."].string = ""
    catalog["Will you pick up on %(date)s?"].string = "%(day)s에 약을 받으러 오시겠습니까?"
    with po.open("wb") as f:
        write_po(f, catalog, no_location=True, omit_header=False)
    monkeypatch.setattr(i18n, "LOCALES", locales)
    i18n.translations.cache_clear()
    yield "ko"
    i18n.translations.cache_clear()


def test_a_missing_entry_is_sent_in_english_and_reported(gappy_korean: str) -> None:
    assert i18n.render(Say("Reply YES or NO."), gappy_korean) == "Reply YES or NO."
    assert i18n.render(Say("Reply STOP to opt out."), gappy_korean) != "Reply STOP to opt out."
    check = i18n.check_catalog(gappy_korean)
    assert check.missing == ("Reply YES or NO.",)
    assert len(check.placeholder_errors) == 1 and not check.complete
    result = CliRunner().invoke(main, ["catalogs", "check", "--language", "ko"])
    assert result.exit_code == 1
    assert "ko: INCOMPLETE" in result.output
    assert "missing (sent in English): Reply YES or NO." in result.output
    assert "placeholders differ: 'Will you pick up on %(date)s?'" in result.output


def test_every_catalog_passes_the_check() -> None:
    result = CliRunner().invoke(main, ["catalogs", "check"])
    assert result.exit_code == 0, result.output
    assert "zh-Hant: complete, review: draft" in result.output


def test_a_pharmacy_turns_a_language_off_and_on(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "pharmacy",
            "add",
            "Main Street Pharmacy",
            "--phone",
            "2125550199",
            "--twilio-number",
            "2125550100",
            "--timezone",
            "America/New_York",
        ],
    )
    assert added.exit_code == 0, added.output
    off = runner.invoke(main, ["pharmacy", "languages", "--disable", "ko", "--disable", "vi"])
    assert off.exit_code == 0, off.output
    assert "ko       Korean                 OFF (English), DRAFT: 0% reviewed, " in off.output
    assert "ht       Haitian Creole         on, DRAFT: 0% reviewed, " in off.output
    assert off.output.rstrip().endswith("its patients then get English.")  # what draft means
    again = runner.invoke(main, ["pharmacy", "languages", "--enable", "vi"])
    assert "vi       Vietnamese             on, DRAFT: 0% reviewed, " in again.output
    assert "calls keypad only (English)" in again.output.split("ht       ")[1].splitlines()[0]
    shown = runner.invoke(main, ["pharmacy", "languages"])  # no change: nothing audited
    assert shown.exit_code == 0
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as s:
        pharmacy = s.scalars(select(Pharmacy)).one()
        assert pharmacy.language_overrides == {"ko": False, "vi": True}
        audit = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [a.action for a in audit] == ["pharmacy.languages", "pharmacy.languages"]
        assert audit[0].before == {"language_overrides": {}}
        assert audit[1].after == {"language_overrides": {"ko": False, "vi": True}}
        assert audit[0].actor.startswith("cli:")
    engine.dispose()
    for bad, sentence in [
        (["--disable", "xx"], "No language 'xx'"),
        (["--disable", "en"], "English cannot be turned off"),
        (["--disable", "ko", "--enable", "ko"], "cannot be turned off and on"),
    ]:
        refused = runner.invoke(main, ["pharmacy", "languages", *bad])
        assert refused.exit_code == 1 and sentence in refused.output
