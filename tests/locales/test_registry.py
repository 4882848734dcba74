"""The language registry (locales/languages.toml): the ten languages, what a stored tag
resolves to, which languages a pharmacy offers and serves, and how dates and numbers read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.languages import catalogs as i18n
from dialogs.turn import Say

TEN = ["en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "tl", "ru", "ar", "ht"]
PART_ONE = ["en", "es", "zh-Hans", "zh-Hant", "vi", "ko"]


def test_the_registry_lists_the_ten_languages_in_menu_order() -> None:
    assert list(i18n.registry()) == TEN
    for entry in i18n.registry().values():
        assert entry.native_name and entry.english_name, entry.tag
        assert entry.max_segments >= 1, entry.tag
        assert entry.review in i18n.REVIEW_STATES, entry.tag
    assert i18n.registry()["en"].review == "source"


def test_which_of_the_ten_languages_are_present() -> None:
    """Every folder in locales/ is a registry language; part one's are all complete."""
    folders = {p.name for p in i18n.LOCALES.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= {i18n.folder(tag) for tag in TEN}
    status = {tag: i18n.check_catalog(tag) for tag in TEN}
    for tag in PART_ONE:
        assert status[tag].complete, f"{tag}: {status[tag].missing[:3]}"
        assert tag in i18n.available_languages(), f"{tag} has no vocabulary.toml"
    present = [tag for tag in TEN if status[tag].exists and tag in i18n.available_languages()]
    assert set(PART_ONE) <= set(present)


@pytest.mark.parametrize("tag", TEN[1:])
def test_each_catalog_header_states_its_review_status(tag: str) -> None:
    po = i18n.LOCALES / i18n.folder(tag) / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        assert tag not in PART_ONE, f"{tag} has no catalog"
        return  # part two's language, not written yet
    header = po.read_text(encoding="utf-8").split("msgid", 1)[0]
    header = " ".join(line.lstrip("# ") for line in header.splitlines())
    review = i18n.registry()[tag].review
    assert f"Review status: {review.upper()}" in header
    if review == "draft":
        assert "NOT yet reviewed by a qualified medical translator" in header


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("en", "en"),
        ("", "en"),
        (None, "en"),
        ("es", "es"),
        ("ES", "es"),
        ("es-MX", "es"),
        ("es-419", "es"),
        ("zh-Hans", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh_hant_tw", "zh-Hant"),
        ("yue", "zh-Hant"),
        ("ko-KR", "ko"),
        ("vi-VN", "vi"),
        ("fr", "en"),  # no catalog: English
        ("und", "en"),
    ],
)
def test_a_stored_tag_resolves_to_a_language_with_a_catalog(
    stored: str | None, served: str
) -> None:
    assert i18n.resolve(stored) == served


def test_a_regional_tag_is_rendered_in_its_language() -> None:
    text = i18n.render(Say("Reply YES or NO."), "zh-CN")
    assert text == "请回复“是”或“否”。"
    assert i18n.vocabulary_for("ko-KR") == i18n.vocabulary_for("ko")


def test_a_pharmacy_can_turn_a_language_off_but_not_english() -> None:
    off = {"ko": False, "en": False}
    assert i18n.served_language("ko", off) == "en"
    assert i18n.served_language("ko-KR", off) == "en"
    assert i18n.served_language("vi", off) == "vi"
    assert i18n.served_language("en", off) == "en"
    assert i18n.is_enabled("en", off)
    offered = [tag for tag, _ in i18n.offered_languages(off)]
    assert "ko" not in offered and offered[0] == "en"
    assert [tag for tag, _ in i18n.offered_languages()] == [
        tag for tag in TEN if i18n.has_catalog(tag)
    ]


def test_a_language_off_by_default_can_be_turned_on(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = dict(i18n.registry())
    registry["vi"] = i18n.Language(**{**vars(registry["vi"]), "enabled": False})
    monkeypatch.setattr(i18n, "registry", lambda: registry)
    assert i18n.served_language("vi") == "en"
    assert i18n.served_language("vi", {"vi": True}) == "vi"


def test_a_broken_registry_is_refused_with_a_sentence() -> None:
    with pytest.raises(i18n.RegistryError, match="review"):
        i18n._language_entry({"tag": "xx", "english_name": "X", "native_name": "X", "review": "ok"})
    with pytest.raises(i18n.RegistryError, match="incomplete"):
        i18n._language_entry({"tag": "xx", "english_name": "X"})
    with pytest.raises(i18n.RegistryError, match="ten characters"):
        i18n._language_entry({"tag": "xx", "english_name": "X", "native_name": "X", "digits": "1"})
    with pytest.raises(i18n.RegistryError, match="7 weekdays"):
        i18n._language_entry(
            {"tag": "xx", "english_name": "X", "native_name": "X", "date_pattern": "{day}"}
        )


PICKUP = dt.date(2026, 12, 15)  # a Tuesday


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "Tuesday, December 15, 2026"),
        ("es", "martes, 15 de diciembre de 2026"),
        ("zh-Hans", "2026年12月15日星期二"),
        ("zh-Hant", "2026年12月15日 星期二"),
        ("ko", "2026년 12월 15일 화요일"),
        ("vi", "Thứ Ba, 15 tháng 12, 2026"),
    ],
)
def test_dates_are_written_the_patients_way(language: str, written: str) -> None:
    assert i18n.format_date(PICKUP, language) == written


def test_a_language_without_cldr_dates_can_name_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = dict(i18n.registry())
    registry["ko"] = i18n.Language(
        **{
            **vars(registry["ko"]),
            "weekdays": ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch"),
            "months": tuple(f"m{n}" for n in range(1, 13)),
            "date_pattern": "{weekday} {day} {month} {year}",
        }
    )
    monkeypatch.setattr(i18n, "registry", lambda: registry)
    assert i18n.format_date(PICKUP, "ko") == "madi 15 m12 2026"


def test_numbers_use_the_digits_the_registry_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    assert i18n.format_number(15, "ko") == "15"
    assert i18n.format_number(2026, "en") == "2026"  # no grouping: days and counts
    registry = dict(i18n.registry())
    registry["ar"] = i18n.Language(**{**vars(registry["ar"]), "digits": "٠١٢٣٤٥٦٧٨٩"})
    monkeypatch.setattr(i18n, "registry", lambda: registry)
    monkeypatch.setattr(i18n, "has_catalog", lambda tag: True)
    assert i18n.format_number(15, "ar") == "١٥"


def test_chinese_puts_no_space_between_sentences() -> None:
    assert i18n.sentence_gap("zh-Hans") == "" and i18n.sentence_gap("zh-Hant") == ""
    assert i18n.sentence_gap("ko") == " " and i18n.sentence_gap("vi") == " "


def test_the_catalog_folder_is_the_tag_with_an_underscore() -> None:
    assert i18n.folder("zh-Hans") == "zh_Hans"
    assert (i18n.LOCALES / "zh_Hant" / "vocabulary.toml").exists()
    assert Path(i18n.LOCALES / "languages.toml").exists()
