"""QA findings in `medsync import` and the plan it feeds: a last_fill_date in the future (2027
typed for 2026) was kept, and the sync plan then put the first pickup a year away with eleven
monthly visits before it; a re-import that doubled a dose left the plan counting the old
fill's days' supply without a word."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli.main import main

HEADER = (
    "patient_id,first_name,last_name,birth_date,phone,phone_type,language,rx_number,"
    "drug_name,daily_quantity,days_supply,quantity,last_fill_date,refills_remaining,"
    "written_date,dea_schedule,prn,maintenance,package,copay\n"
)


def medsync(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def open_pharmacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """A migrated database with one pharmacy in New York; today there."""
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'pharmacy.db'}")
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    medsync("db", "upgrade")
    medsync(
        "pharmacy", "add", "Main Street Pharmacy", "--phone", "2125550199",
        "--twilio-number", "2125550100", "--timezone", "America/New_York",
    )  # fmt: skip
    return dt.datetime.now(ZoneInfo("America/New_York")).date()


def test_a_fill_dated_after_today_is_a_bad_row_and_the_rest_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = open_pharmacy(tmp_path, monkeypatch)
    past = today - dt.timedelta(days=20)
    future = past.replace(year=past.year + 1) if past.month != 2 else past + dt.timedelta(365)
    patient = "P1,Ann,Lee,1950-01-02,(212) 555-0123,mobile,en"
    export = tmp_path / "export.csv"
    export.write_text(
        HEADER
        + f"{patient},RX1,Lisinopril 10 mg tablet,1,30,30,{past},5,{past},,N,Y,,10.00\n"
        + f"{patient},RX2,Atorvastatin 40 mg tablet,1,30,30,{future},5,{past},,N,Y,,10.00\n",
        encoding="utf-8",
    )
    lines = medsync("import", str(export)).splitlines()
    assert lines == [
        "Imported 1 row: 1 patient created, 0 patients updated, 1 prescription created, "
        "0 prescriptions updated.",
        "1 row rejected:",
        f"  line 3 (P1, RX2): last_fill_date '{future}' is after today ({today}): a fill "
        "cannot be in the future (a typo in the year?)",
    ]
    plan = medsync("plan", "P1")
    assert "RX2" not in plan


def test_a_dose_change_on_reimport_is_noted_in_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = open_pharmacy(tmp_path, monkeypatch)
    filled, other = today - dt.timedelta(days=10), today - dt.timedelta(days=3)
    patient = "P1,Ann,Lee,1950-01-02,(212) 555-0123,mobile,en"
    export = tmp_path / "export.csv"
    rows = (
        f"{patient},RX1,Losartan 50 mg tablet,{{daily}},30,30,{filled},5,{filled},,N,Y,,10.00\n"
        f"{patient},RX2,Amlodipine 5 mg tablet,1,30,30,{other},5,{other},,N,Y,,10.00\n"
    )
    export.write_text(HEADER + rows.format(daily="1"), encoding="utf-8")
    medsync("import", str(export))
    assert "last fill's" not in medsync("plan", "P1")
    export.write_text(HEADER + rows.format(daily="2"), encoding="utf-8")
    assert "1 prescription updated" in medsync("import", str(export))
    assert (
        "Note: The last fill's 30 units last 15 days at 2 a day, not its 30 days' supply: "
        "check the directions (a dose change?); it may be due sooner."
    ) in medsync("plan", "P1")
