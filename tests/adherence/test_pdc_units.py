"""Class PDC and therapy classes, pure: hand-computed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.program import therapy_classes
from bot.program.adherence import PatientClassPdc as Row
from bot.program.adherence import ProgramAdherence
from dialogs.plan.adherence import Fill, pdc
from dialogs.plan.class_pdc import class_pdc, covered_spans, days_in_union

D = dt.date


def test_domain_example_17_matches_the_single_drug_pdc() -> None:
    fills = [Fill(D(2026, 1, 1), 30), Fill(D(2026, 1, 25), 30), Fill(D(2026, 3, 10), 30)]
    result = class_pdc({"atorvastatin": fills}, D(2026, 1, 1), D(2026, 3, 31))
    assert result is not None
    assert (result.days_covered, result.days_in_period) == (82, 90)
    assert result.percent == Decimal("91.1")
    single = pdc(fills, D(2026, 3, 31))
    assert single is not None and single.days_covered == 82
    # Index date 89 days before the end: PQA leaves the patient out of the measure.
    assert not result.in_denominator


def test_two_drugs_of_a_class_cover_a_day_once_and_are_not_shifted() -> None:
    # Lisinopril 90 days from Jan 1 (Jan 1 - Mar 31), losartan 90 days from Mar 15
    # (Mar 15 - Jun 12): together Jan 1 - Jun 12 = 163 days of Jan 1 - Sep 30 (273).
    result = class_pdc(
        {
            "lisinopril": [Fill(D(2026, 1, 1), 90)],
            "losartan": [Fill(D(2026, 3, 15), 90)],
        },
        D(2026, 1, 1),
        D(2026, 9, 30),
    )
    assert result is not None and result.in_denominator
    assert (result.days_covered, result.days_in_period) == (163, 273)
    assert result.percent == Decimal("59.7")
    # Had they been one drug, the second supply would have been shifted to Apr 1.
    shifted = class_pdc(
        {"lisinopril": [Fill(D(2026, 1, 1), 90), Fill(D(2026, 3, 15), 90)]},
        D(2026, 1, 1),
        D(2026, 9, 30),
    )
    assert shifted is not None and shifted.days_covered == 180


def test_fills_outside_the_period_do_not_count_and_one_fill_is_not_measurable() -> None:
    fills = [Fill(D(2025, 12, 20), 30), Fill(D(2026, 2, 1), 30)]
    result = class_pdc({"metformin": fills}, D(2026, 1, 1), D(2026, 9, 30))
    assert result is not None
    assert result.index_date == D(2026, 2, 1) and result.days_covered == 30
    assert not result.in_denominator  # one fill in the period
    assert class_pdc({"metformin": fills}, D(2026, 3, 1), D(2026, 9, 30)) is None


def test_spans_clip_to_the_period_and_a_union_counts_a_day_once() -> None:
    spans = covered_spans(
        [Fill(D(2026, 9, 1), 10), Fill(D(2026, 9, 5), 10), Fill(D(2026, 9, 29), 30)],
        D(2026, 9, 1),
        D(2026, 9, 30),
    )
    # Sep 1-10, Sep 5 shifted to Sep 11-20, Sep 29-30 (the rest is after the period).
    assert spans == [
        (D(2026, 9, 1), D(2026, 9, 10)),
        (D(2026, 9, 11), D(2026, 9, 20)),
        (D(2026, 9, 29), D(2026, 9, 30)),
    ]
    assert days_in_union(spans) == 22
    overlapping = [
        (D(2026, 1, 1), D(2026, 1, 10)),
        (D(2026, 1, 5), D(2026, 1, 6)),
        (D(2026, 1, 8), D(2026, 1, 12)),
        (D(2026, 1, 20), D(2026, 1, 20)),
    ]
    assert days_in_union(overlapping) == 13
    assert days_in_union([]) == 0


def test_therapy_classes_match_ingredients_as_words_ignoring_case() -> None:
    def classes(drug: str) -> list[tuple[str, str]]:
        return [(m.therapy_class, m.ingredient) for m in therapy_classes.classify(drug)]

    assert classes("ATORVASTATIN 40 MG TABLET") == [("statins", "atorvastatin")]
    assert classes("Metformin ER 500 mg") == [("diabetes", "metformin")]
    assert classes("Amlodipine/Benazepril 5-20 mg capsule") == [
        ("ras_antagonists", "benazepril"),
        ("calcium_channel_blockers", "amlodipine"),
    ]
    assert classes("Metoprolol succinate 50 mg") == [("beta_blockers", "metoprolol")]
    assert classes("Levothyroxine 75 mcg tablet") == []
    assert classes("Lisinoprilate 5 mg") == []  # a whole word, not a prefix
    assert therapy_classes.excludes("diabetes", "Insulin glargine 100 units/mL pen")
    assert therapy_classes.excludes("ras_antagonists", "Sacubitril/Valsartan 24-26 mg")
    assert not therapy_classes.excludes("statins", "Insulin glargine")
    names = [c.name for c in therapy_classes.therapy_classes()]
    assert names[:3] == ["diabetes", "ras_antagonists", "statins"]


def _program(rows: list[Row]) -> ProgramAdherence:
    return ProgramAdherence(D(2026, 1, 1), D(2026, 9, 30), rows)


def test_shares_and_buckets() -> None:
    program = _program(
        [
            Row(1, "P1", "statins", Decimal("44.0"), None),
            Row(1, "P1", "diabetes", None, None),
            Row(2, "P2", "statins", Decimal("79.9"), Decimal("80.0")),
            Row(3, "P3", "ras_antagonists", Decimal("90.0"), Decimal("59.9")),
            Row(4, "P4", "statins", Decimal("100.0"), None),
        ]
    )
    assert program.share_adherent("before") == Decimal("50.0")  # 90.0 and 100.0 of four
    assert program.share_adherent("before", "statins") == Decimal("33.3")
    assert program.share_adherent("after") == Decimal("50.0")
    assert program.share_adherent("after", "doacs") is None
    assert program.distribution("before") == [
        ("0-49", 1), ("50-59", 0), ("60-69", 0), ("70-79", 1), ("80-89", 0), ("90-100", 2),
    ]  # fmt: skip
    assert program.distribution("after") == [
        ("0-49", 0), ("50-59", 1), ("60-69", 0), ("70-79", 0), ("80-89", 1), ("90-100", 0),
    ]  # fmt: skip
    assert program.classes() == ["diabetes", "ras_antagonists", "statins"]
    assert _program([]).share_adherent("before") is None
    with pytest.raises(ValueError, match="before"):
        program.share_adherent("during")
