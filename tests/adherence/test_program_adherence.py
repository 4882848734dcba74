"""Program adherence before and after enrollment, from files imported through the CLI, on
SQLite and PostgreSQL. Every expected PDC is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bot.program.adherence import PatientClassPdc, patient_adherence, program_adherence
from store.models import EnrollmentStatus
from tests.adherence.world import (
    D,
    cli_db,  # noqa: F401 (a fixture)
    enroll,
    every,
    invoke,
    medsync,
    patient,
    pharmacy,
    rx_row,
    session_for,
    write_export,
    write_fills,
)

START, END = D(2026, 1, 1), D(2026, 9, 30)  # 273 days


@pytest.fixture
def world(cli_db: str, tmp_path: Path) -> str:  # noqa: F811
    write_export(
        tmp_path / "export.csv",
        [
            rx_row("P1", 1, "RX11", "Atorvastatin 40 mg tablet", D(2026, 4, 20)),
            rx_row("P1", 1, "RX12", "Lisinopril 10 mg tablet", D(2026, 1, 1), 90),
            rx_row("P1", 1, "RX13", "Losartan 50 mg tablet", D(2026, 3, 15), 90),
            rx_row("P1", 1, "RX14", "Metformin 500 mg tablet", D(2026, 2, 1)),
            rx_row("P2", 2, "RX21", "Simvastatin 20 mg tablet", D(2026, 9, 28)),
            rx_row("P2", 2, "RX22", "Metformin 1000 mg tablet", D(2026, 6, 4)),
            rx_row("P2", 2, "RX23", "Insulin glargine 100 units/mL pen", D(2026, 2, 5)),
            rx_row("P3", 3, "RX31", "Atorvastatin 20 mg tablet", D(2026, 9, 28)),
            rx_row("P3", 3, "RX32", "Levothyroxine 50 mcg tablet", D(2026, 9, 28)),
            rx_row("P4", 4, "RX41", "Rosuvastatin 10 mg tablet", D(2026, 9, 1)),
        ],
    )
    fills = [
        # P1 statin: Dec 20 is before the period; Jan 25 shifts to Jan 31:
        # Jan 1-30, Jan 31-Mar 1, Mar 10-Apr 8, Apr 20-May 19 = 120 of 273 days = 44.0%.
        *(("P1", "RX11", d, 30) for d in (D(2025, 12, 20), D(2026, 1, 1), D(2026, 1, 25))),
        *(("P1", "RX11", d, 30) for d in (D(2026, 3, 10), D(2026, 4, 20))),
        # P1 RAS antagonists, two drugs: Jan 1 - Jun 12 = 163 of 273 = 59.7%.
        ("P1", "RX12", D(2026, 1, 1), 90),
        ("P1", "RX13", D(2026, 3, 15), 90),
        # P1 diabetes: one fill, not measurable.
        ("P1", "RX14", D(2026, 2, 1), 30),
        # P1: a fill of a prescription the export does not have is not classed.
        ("P1", "RX99", D(2026, 2, 1), 30),
        # P2 statin every 30 days from Jan 1: all 273 days = 100.0%.
        *(("P2", "RX21", d, 30) for d in every(D(2026, 1, 1), 30, 10)),
        # P2 diabetes: metformin, but insulin too: out of the diabetes measure.
        *(("P2", "RX22", d, 30) for d in every(D(2026, 1, 5), 30, 6)),
        ("P2", "RX23", D(2026, 2, 5), 37),
        # P3, enrolled May 1 (local): before Jan 1 - Apr 30 (120 days):
        # Jan 1-30, Feb 10-Mar 11, Mar 22-Apr 20 = 90 / 120 = 75.0%;
        # after May 1 - Sep 30 (153 days), every 30 days from May 1: 153 / 153 = 100.0%.
        *(("P3", "RX31", d, 30) for d in (D(2026, 1, 1), D(2026, 2, 10), D(2026, 3, 22))),
        *(("P3", "RX31", d, 30) for d in every(D(2026, 5, 1), 30, 6)),
        # P4 consented Jul 1 but still waiting for review: counted as not enrolled.
        # Feb 1 - Sep 30 is 242 days; 30-day fills on Feb 1, Mar 15, May 1, Jun 20, Aug 10,
        # Sep 20 cover 5 x 30 + 11 = 161 days = 66.5%.
        *(
            ("P4", "RX41", d, 30)
            for d in (D(2026, 2, 1), D(2026, 3, 15), D(2026, 5, 1), D(2026, 6, 20))
        ),
        ("P4", "RX41", D(2026, 8, 10), 30),
        ("P4", "RX41", D(2026, 9, 20), 30),
    ]
    medsync("import", str(tmp_path / "export.csv"))
    assert "No rows rejected." in medsync("import", str(write_fills(tmp_path / "f.csv", fills)))
    with session_for(cli_db) as session:
        # 00:30 UTC on May 2 is still May 1 in New York: the pharmacy's date counts.
        enroll(session, "P3", dt.datetime(2026, 5, 2, 0, 30, tzinfo=dt.UTC))
        enroll(
            session,
            "P4",
            dt.datetime(2026, 7, 1, 15, tzinfo=dt.UTC),
            EnrollmentStatus.PENDING_REVIEW,
        )
    return cli_db


def test_rows_before_and_after_enrollment(world: str) -> None:
    with session_for(world) as session:
        result = program_adherence(session, pharmacy(session).id, START, END)
        ids = {p: patient(session, p).id for p in ("P1", "P2", "P3", "P4")}
    assert result.rows == [
        PatientClassPdc(ids["P1"], "P1", "diabetes", None, None),
        PatientClassPdc(ids["P1"], "P1", "ras_antagonists", Decimal("59.7"), None),
        PatientClassPdc(ids["P1"], "P1", "statins", Decimal("44.0"), None),
        PatientClassPdc(ids["P2"], "P2", "statins", Decimal("100.0"), None),
        PatientClassPdc(ids["P3"], "P3", "statins", Decimal("75.0"), Decimal("100.0")),
        PatientClassPdc(ids["P4"], "P4", "statins", Decimal("66.5"), None),
    ]
    assert (result.start, result.end) == (START, END)
    # Before: 59.7, 44.0, 100.0, 75.0, 66.5 -> 1 of 5 adherent; after: 100.0 -> all.
    assert result.share_adherent("before") == Decimal("20.0")
    assert result.share_adherent("before", "statins") == Decimal("25.0")
    assert result.share_adherent("after") == Decimal("100.0")
    assert result.share_adherent("after", "ras_antagonists") is None
    assert result.distribution("before") == [
        ("0-49", 1), ("50-59", 1), ("60-69", 1), ("70-79", 1), ("80-89", 0), ("90-100", 1),
    ]  # fmt: skip
    assert result.classes() == ["diabetes", "ras_antagonists", "statins"]


def test_enrollment_before_the_period_leaves_no_before(world: str) -> None:
    with session_for(world) as session:
        result = program_adherence(session, pharmacy(session).id, D(2026, 5, 1), END)
        p3 = [r for r in result.rows if r.external_id == "P3"]
        # May 1 - Sep 30: index May 1, 153 days, all covered.
        assert [(r.before, r.after) for r in p3] == [(None, Decimal("100.0"))]
        # Enrolled after the period: P3 counts as not enrolled; Jan 1 - Apr 30 is 75.0%.
        early = program_adherence(session, pharmacy(session).id, START, D(2026, 4, 30))
        assert [(r.before, r.after) for r in early.rows if r.external_id == "P3"] == [
            (Decimal("75.0"), None)
        ]
        with pytest.raises(ValueError, match="before its start"):
            program_adherence(session, pharmacy(session).id, END, START)


def test_one_patient_and_the_command(world: str) -> None:
    with session_for(world) as session:
        rows = patient_adherence(session, patient(session, "P3"), START, END)
        assert [(r.therapy_class, r.before, r.after) for r in rows] == [
            ("statins", Decimal("75.0"), Decimal("100.0"))
        ]
    shown = medsync("adherence", "P3", "--from", "2026-01-01", "--to", "2026-09-30")
    assert shown.splitlines() == [
        "Adherence for Pat3 Test (P3), Jan 01, 2026 to Sep 30, 2026 (PDC, PQA):",
        "  Enrolled in med sync on May 01, 2026.",
        "  cholesterol medicines (statins): before enrollment 75.0% (below 80%); "
        "since enrollment 100.0% (adherent)",
    ]
    shown = medsync("adherence", "P1", "--from", "2026-01-01", "--to", "2026-09-30")
    assert "  diabetes medicines (all classes, not insulin): not measurable" in shown
    assert "  blood pressure medicines (RAS antagonists): 59.7% (below 80%)" in shown
    assert "  cholesterol medicines (statins): 44.0% (below 80%)" in shown
    assert "fewer than two fills" in shown
    none = medsync("adherence", "P3", "--from", "2025-01-01", "--to", "2025-06-30")
    assert "No fills of a tracked therapy class in this period" in none
    unknown = invoke("adherence", "P404")
    assert unknown.exit_code == 1 and "No patient P404 at Main Street Pharmacy." in unknown.output
    backwards = invoke("adherence", "P1", "--from", "2026-09-30", "--to", "2026-01-01")
    assert backwards.exit_code == 1 and "is before --from" in backwards.output
    bad = invoke("adherence", "P1", "--from", "2026-13-01")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
