"""Plans for the sample export's patients as of the export day, against reviewed golden files.

After a reviewed change to the arithmetic or the wording, regenerate with
    MEDSYNC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/plan/test_sample_export.py
and read the diff of tests/plan/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dialogs.plan.model import ProgramSettings
from dialogs.plan.plan import NotEligible, SyncPlan, build_plan
from dialogs.plan.reconcile import SyncStatus
from tests.plan.sample_export import EXPORT_DAY, PATIENTS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MEDSYNC_UPDATE_GOLDEN") == "1"
DEFAULTS = ProgramSettings()
# Oklahoma (P1006's 405 area code) with controlled substances III-V switched on.
CONTROLLED_IN_OK = ProgramSettings(sync_controlled_c3_c5=True, state="OK")

CASES: dict[str, tuple[str, ProgramSettings, int | None]] = {
    "P1001": ("P1001", DEFAULTS, None),
    "P1001_preferred_15": ("P1001", DEFAULTS, 15),
    "P1002": ("P1002", DEFAULTS, None),
    "P1003": ("P1003", DEFAULTS, None),
    "P1004": ("P1004", DEFAULTS, None),
    "P1005": ("P1005", DEFAULTS, None),
    "P1006_controlled_ok": ("P1006", CONTROLLED_IN_OK, None),
    "P1007": ("P1007", DEFAULTS, None),
    "P1009": ("P1009", DEFAULTS, None),
    "P1010": ("P1010", DEFAULTS, None),
    "P1011": ("P1011", DEFAULTS, None),
    "P1012": ("P1012", DEFAULTS, None),
}


def _plan(case: str) -> SyncPlan:
    patient, settings, preferred = CASES[case]
    return build_plan(PATIENTS[patient], EXPORT_DAY, settings, preferred_day=preferred)


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_matches_reviewed_golden_file(case: str) -> None:
    plan = _plan(case)
    actual = {"plan": plan.to_dict(), "display": plan.lines_for_display()}
    path = GOLDEN / f"{case}.json"
    text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == actual


def test_every_golden_file_has_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(CASES)


def test_acute_and_as_needed_only_patient_is_not_eligible() -> None:
    with pytest.raises(NotEligible) as raised:
        build_plan(PATIENTS["P1008"], EXPORT_DAY, DEFAULTS)
    assert str(raised.value) == (
        "No medicine can be synced; the program needs two or more maintenance medicines."
    )
    reasons = {r.medication.rx_number: r.reason for r in raised.value.reconciliations}
    assert reasons == {
        "RX700801": "Acute course (not maintenance): not synced.",
        "RX700802": "Taken as needed (PRN): not synced.",
    }


def test_controlled_patient_is_not_eligible_while_iii_v_are_off() -> None:
    with pytest.raises(NotEligible, match="Only one medicine can be synced"):
        build_plan(PATIENTS["P1006"], EXPORT_DAY, DEFAULTS)


def test_oklahoma_keeps_schedule_iv_out_even_with_controlled_on() -> None:
    lines = {line.rx_number: line for line in _plan("P1006_controlled_ok").lines}
    assert lines["RX700603"].status is SyncStatus.NOT_SYNCED
    assert lines["RX700603"].reason == "Schedule IV: OK law excludes it from med sync."
    assert lines["RX700601"].status is SyncStatus.SYNCED


def test_already_aligned_patient_has_no_short_fills() -> None:
    plan = _plan("P1007")
    assert plan.short_fills == ()
    assert plan.first_anchor.isoformat() == "2026-12-11"


def test_expired_prescription_without_refills_is_raised_today() -> None:
    renewals = {r.rx_number: r for r in _plan("P1003").renewals}
    assert set(renewals) == {"RX700302"}
    assert renewals["RX700302"].request_on == EXPORT_DAY
    assert renewals["RX700302"].reason.startswith("Expired Nov 25, 2026")


def test_preferred_15th_reproduces_examples_2_3_and_13() -> None:
    lines = {line.rx_number: line for line in _plan("P1001_preferred_15").lines}
    lisinopril = lines["RX700101"].short_fill
    assert lisinopril is not None
    assert (lisinopril.days, lisinopril.units) == (12, 12)
    # Metformin was due Nov 19 (example 3) but it is Nov 29 now: 16 days from today, not 26.
    metformin = lines["RX700103"].short_fill
    assert metformin is not None
    assert (metformin.fill_date, metformin.days, metformin.units) == (EXPORT_DAY, 16, 32)
    assert str(lines["RX700102"].short_fill_cost) == "2.50"  # $15 copay: $0.50 x 5 days
