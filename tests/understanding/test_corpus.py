"""The understanding corpus (tests/understanding/corpus.tsv) through the dialog engine: no reply
is ever recorded as the clear value when it is not, and the goals of issue 15 hold."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.understanding.corpus import Result, Row, judge, rows

ROWS = rows()
LANGUAGES = {"en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "ru", "ar", "tl", "ht"}


@pytest.fixture(scope="module")
def results() -> list[Result]:
    return [judge(row) for row in ROWS]


def test_the_corpus_is_large_covers_every_language_and_step_and_is_mostly_en_and_es() -> None:
    assert len(ROWS) >= 600
    by_language = Counter(r.language for r in ROWS)
    assert set(by_language) == LANGUAGES
    assert by_language.most_common(2)[0][0] == "en" and by_language.most_common(2)[1][0] == "es"
    steps = {(r.language, r.step) for r in ROWS}
    for language in LANGUAGES:
        assert {s for lang, s in steps if lang == language} >= {"hospital", "missed_doses"}
    assert {r.step for r in ROWS} == {
        "enroll",
        "anchor",
        "hospital",
        "changes",
        "missed_doses",
        "anything_else",
        "still_coming",
    }


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_no_reply_is_recorded_as_clear_when_it_is_not(row: Row) -> None:
    result = judge(row)
    assert not result.dangerous, f"{row.text!r}: expected {row.expected}, recorded {result.got}"


def test_the_goals_hold_understood_asked_again(results: list[Result]) -> None:
    understood = sum(r.understood for r in results) / len(results)
    asked_again = sum(r.asked_again for r in results) / len(results)
    missed = [(r.row.text, r.row.expected, r.got) for r in results if not r.understood]
    assert understood >= 0.97, missed
    assert asked_again < 0.02, missed


def test_every_language_is_understood(results: list[Result]) -> None:
    for language in LANGUAGES:
        mine = [r for r in results if r.row.language == language]
        share = sum(r.understood for r in mine) / len(mine)
        assert share >= 0.9, (language, [(r.row.text, r.got) for r in mine if not r.understood])
