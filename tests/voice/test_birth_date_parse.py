"""Birth dates as callers key or say them, in each language's words (dialogs/parse.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.languages.catalogs import vocabulary_for
from dialogs.parse import keyed_birth_date, spoken_birth_date

MARCH_4_1950 = dt.date(1950, 3, 4)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "March 4th 1950"),
        ("en", "march fourth, 1950"),
        ("en", "3 4 1950"),
        ("en", "03041950"),
        ("es", "4 de marzo de 1950"),
        ("es", "el cuatro de marzo de 1950"),
        ("zh-Hans", "1950年3月4日"),
        ("zh-Hant", "1950年三月4日"),
        ("vi", "ngày 4 tháng 3 năm 1950"),
        ("ko", "1950년 3월 4일"),
        ("tl", "Marso 4, 1950"),
        ("ru", "4 марта 1950 года"),
        ("ar", "٤ مارس ١٩٥٠"),
        ("ar", "4 آذار 1950"),
        ("ht", "4 mas 1950"),
    ],
)
def test_a_birth_date_said_in_each_language(language: str, said: str) -> None:
    assert spoken_birth_date(said, vocabulary_for(language)) == MARCH_4_1950


@pytest.mark.parametrize(
    "said", ["March 1950", "tomorrow", "March 4", "2 3 4 1950", "February 30 1950", "", "1950"]
)
def test_anything_but_one_whole_date_is_none(said: str) -> None:
    assert spoken_birth_date(said, vocabulary_for("en")) is None


@pytest.mark.parametrize(
    ("keys", "date"),
    [
        ("03041950", MARCH_4_1950),
        ("03041950#", MARCH_4_1950),
        ("13041950", None),
        ("0304195", None),
        ("030419501", None),
        ("02301950", None),
        ("03041850", None),
    ],
)
def test_keyed_birth_dates_are_mmddyyyy(keys: str, date: dt.date | None) -> None:
    assert keyed_birth_date(keys) == date
