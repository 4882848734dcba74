"""`medsync import` of a fills file, on SQLite and PostgreSQL: bad rows by line, idempotent
re-imports, changed fills updated, the demo's fills."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.imports import demo_fills
from bot.imports.fills import import_fills, is_fills_header
from bot.imports.import_report import ImportFileError
from store.fills import Fill
from tests.adherence.world import (
    NOW,
    D,
    cli_db,  # noqa: F401 (a fixture)
    invoke,
    medsync,
    pharmacy,
    rx_row,
    session_for,
    write_export,
)

FILLS = """patient_id,rx_number,fill_date,days_supply,quantity
P1,RX1,2026-01-05,30,30
P1,RX1,2026-02-04,30,30
P2,RX2,2026-01-05,90,90
P9,RX9,2026-01-05,30,30
P1,RX1,2026-02-30,30,30
P1,,2026-03-01,0,-1
P2,RX2,2026-04-05,ninety,90

P2,RX2,2026-04-06,90,90.5
"""


@pytest.fixture
def two_patients(cli_db: str, tmp_path: Path) -> str:  # noqa: F811
    write_export(
        tmp_path / "export.csv",
        [
            rx_row("P1", 1, "RX1", "Atorvastatin 40 mg tablet", D(2026, 2, 4)),
            rx_row("P2", 2, "RX2", "Losartan 50 mg tablet", D(2026, 4, 6), 90),
        ],
    )
    medsync("import", str(tmp_path / "export.csv"))
    return cli_db


def stored(db_url: str) -> list[tuple[str, str, int, Decimal]]:
    with session_for(db_url) as session:
        return [
            (row.rx_number, row.fill_date.isoformat(), row.days_supply, row.quantity)
            for row in session.scalars(select(Fill).order_by(Fill.rx_number, Fill.fill_date))
        ]


def test_bad_rows_by_line_good_rows_kept_and_reimport_is_idempotent(
    two_patients: str, tmp_path: Path
) -> None:
    path = tmp_path / "fills.csv"
    path.write_text(FILLS, encoding="utf-8")
    first = medsync("import", str(path))
    assert first.splitlines() == [
        "Imported 4 fill rows: 4 fills created, 0 updated, 0 unchanged.",
        "4 rows rejected:",
        "  line 5 (P9, RX9): patient_id 'P9' is not a patient of Main Street Pharmacy "
        "(import the patients' export first)",
        "  line 6 (P1, RX1): fill_date '2026-02-30' is not a real date (expected YYYY-MM-DD)",
        "  line 7 (P1): rx_number is blank; days_supply '0' must be between 1 and 366; "
        "quantity '-1' must not be negative",
        "  line 8 (P2, RX2): days_supply 'ninety' is not a whole number",
    ]
    assert stored(two_patients) == [
        ("RX1", "2026-01-05", 30, Decimal("30.000")),
        ("RX1", "2026-02-04", 30, Decimal("30.000")),
        ("RX2", "2026-01-05", 90, Decimal("90.000")),
        ("RX2", "2026-04-06", 90, Decimal("90.500")),
    ]
    again = medsync("import", str(path))
    assert again.startswith("Imported 4 fill rows: 0 fills created, 0 updated, 4 unchanged.")
    assert len(stored(two_patients)) == 4

    # The pharmacy corrects one fill's days' supply: the same fill is updated, not doubled.
    path.write_text(
        "Patient ID,Rx Number,Fill Date,Days Supply,Quantity\n"
        "P1,RX1,2026-02-04,28,28\n"
        "P1,RX1,2026-03-04,30,30\n",
        encoding="utf-8",
    )
    assert "Imported 2 fill rows: 1 fill created, 1 updated, 0 unchanged." in medsync(
        "import", str(path)
    )
    assert stored(two_patients)[1:3] == [
        ("RX1", "2026-02-04", 28, Decimal("28.000")),
        ("RX1", "2026-03-04", 30, Decimal("30.000")),
    ]


def test_the_fills_flag_and_files_that_cannot_be_read(two_patients: str, tmp_path: Path) -> None:
    # A header without fill_date is not recognised; --fills says what is missing.
    odd = tmp_path / "odd.csv"
    odd.write_text("patient_id,rx_number,date,days_supply,quantity\nP1,RX1,2026-01-05,30,30\n")
    refused = invoke("import", "--fills", str(odd))
    assert refused.exit_code == 1
    assert "The fills file is missing the column fill_date." in refused.output
    assert stored(two_patients) == []
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        b"patient_id,rx_number,fill_date,days_supply,quantity\nP1,RX1,2026-01-05,30,\xe9\n"
    )
    # Not UTF-8: read as Windows-1252 (Excel's plain CSV), said so, and the bad value reported.
    read = invoke("import", str(latin))
    assert read.exit_code == 0 and "read as Windows-1252" in read.output
    assert "quantity 'é'" in read.output and "Traceback" not in read.output
    assert stored(two_patients) == []
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    refused = invoke("import", "--fills", str(empty))
    assert refused.exit_code == 1 and "The file is empty" in refused.output
    assert is_fills_header("\ufeffPatient_ID,RX_NUMBER,Fill Date,days_supply,quantity\n")
    assert not is_fills_header("patient_id,rx_number,drug_name,fill_date\n")


def test_a_file_with_a_column_twice_is_refused(two_patients: str) -> None:
    header = io.StringIO("patient_id,rx_number,fill_date,days_supply,quantity,quantity\n")
    with (
        session_for(two_patients) as session,
        pytest.raises(ImportFileError, match="names the column quantity twice"),
    ):
        import_fills(session, pharmacy(session), header, NOW)


def test_the_demo_fills_are_the_generators_and_import_cleanly(cli_db: str) -> None:  # noqa: F811
    out = io.StringIO()
    demo_fills.write(out)
    assert demo_fills.FILLS.read_text(encoding="utf-8") == out.getvalue()
    medsync("import", str(demo_fills.EXPORT))
    shown = medsync("import", str(demo_fills.FILLS))
    assert "No rows rejected." in shown and "0 updated" in shown
    assert "RX700102" in out.getvalue() and "RX700104" not in out.getvalue()  # PRN inhaler out
    margaret = medsync("adherence", "P1001", "--from", "2025-11-30", "--to", "2026-11-29")
    assert "cholesterol medicines (statins): 74.7% (below 80%)" in margaret
    assert "blood pressure medicines (RAS antagonists): 98.1% (adherent)" in margaret


def test_the_demo_seed_brings_a_year_of_fills(db_url: str) -> None:
    from bot.imports import demo
    from bot.program.adherence import program_adherence

    with session_for(db_url) as session:
        lines = demo.seed(session, NOW)
        assert lines[-1].startswith("Imported 253 fill rows: 253 fills created, 0 updated")
        result = program_adherence(session, pharmacy(session).id, D(2025, 11, 30), D(2026, 11, 29))
        assert result.classes() == [
            "diabetes",
            "ras_antagonists",
            "statins",
            "beta_blockers",
            "calcium_channel_blockers",
        ]
        assert result.share_adherent("before") == Decimal("62.5")  # 5 of 8 measurable rows
