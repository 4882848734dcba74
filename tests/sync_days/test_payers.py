"""Payer rules wired in (issue 16 item 7): the export's optional `payer` and `max_days_supply`
columns, each bad value reported by row with the good rows kept; the pharmacy's state; the plan
estimating each prescription by its payer."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import transaction
from store.models import Prescription
from tests.inbox.conftest import SQLITE_ONLY, Inbox

MAIN = "Main Street Pharmacy"
HEADER = (
    "patient_id,first_name,last_name,birth_date,phone,phone_type,language,rx_number,drug_name,"
    "daily_quantity,days_supply,quantity,last_fill_date,refills_remaining,written_date,"
    "dea_schedule,prn,maintenance,package,copay,payer,max_days_supply"
)
PATIENT = "P2001,Ana,Silva,1950-01-02,(212) 555-0177,mobile,en"


def row(rx: str, drug: str, last_fill: str, copay: str, payer: str, most: str = "") -> str:
    return f"{PATIENT},{rx},{drug},1,30,30,{last_fill},5,2026-06-01,,N,Y,,{copay},{payer},{most}"


def medsync(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def export(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "export.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_payer_columns_are_read_checked_by_row_and_kept(cli: Inbox, tmp_path: Path) -> None:
    out = medsync(
        "import", "--pharmacy", MAIN,
        export(
            tmp_path,
            row("RX9001", "Lisinopril 10 mg tablet", "2026-11-03", "10.00", "Medicare D"),
            row("RX9002", "Amlodipine 5 mg tablet", "2026-11-05", "9.00", "commercial", "30"),
            row("RX9003", "Atorvastatin 40 mg tablet", "2026-11-10", "12.00", "cash"),
            row("RX9004", "Metformin 500 mg tablet", "2026-11-10", "12.00", "medicare"),
            row("RX9005", "Losartan 50 mg tablet", "2026-11-10", "12.00", "", "ninety"),
        ),
    )  # fmt: skip
    assert "line 5 (P2001, RX9004): payer 'medicare' is not one of medicare_d, medicaid, " in out
    assert "line 6 (P2001, RX9005): max_days_supply 'ninety' is not a whole number" in out
    with transaction(cli.sessions) as session:
        kept = {
            rx.rx_number: (rx.payer, rx.max_days_supply)
            for rx in session.scalars(
                select(Prescription).where(Prescription.rx_number.like("RX9%"))
            )
        }
    assert kept == {
        "RX9001": ("medicare_d", None),
        "RX9002": ("commercial", 30),
        "RX9003": ("cash", None),
    }

    # The demo pharmacy is in New York: its law prorates commercial plans' short fills.
    plan = json.loads(
        medsync("plan", "P2001", "--pharmacy", MAIN, "--date", "2026-11-29", "--anchor", "15",
                "--json")
    )  # fmt: skip
    lines = {line["rx_number"]: line for line in plan["lines"]}
    assert lines["RX9001"]["cost_basis"].startswith("$0.33 a day ($10.00 / 30 days)")
    assert lines["RX9001"]["cost_note"] is None  # the payer is known: nothing assumed
    assert "New York Insurance Law 3224-d" in lines["RX9002"]["cost_basis"]
    assert lines["RX9003"]["cost_basis"].startswith("Cash:")
    # A later export without the columns keeps what was read.
    medsync(
        "import", "--pharmacy", MAIN,
        export(tmp_path, row("RX9001", "Lisinopril 10 mg tablet", "2026-11-03", "10.00", "")),
    )  # fmt: skip
    with transaction(cli.sessions) as session:
        rx = session.scalar(select(Prescription).where(Prescription.rx_number == "RX9001"))
        assert rx is not None and rx.payer is None  # a blank payer says "not known"


@SQLITE_ONLY
def test_the_state_changes_which_law_applies(cli: Inbox, tmp_path: Path) -> None:
    assert "New York Insurance Law 3224-d" in medsync("pharmacy", "state", "--pharmacy", MAIN)
    out = medsync("pharmacy", "state", "KY", "--pharmacy", MAIN)
    assert "Kentucky Medicaid 205.529: prorates short-fill copays for medicaid plans" in out
    out = medsync("pharmacy", "state", "none", "--pharmacy", MAIN)
    assert "state not set" in out and "No state sync law known" in out
    out = medsync("pharmacy", "state", "XY", "--pharmacy", MAIN, code=1)
    assert "'XY' is not a US state code" in out


EXAMPLE_40 = Path(__file__).with_name("payers_and_packs.csv")


@SQLITE_ONLY
def test_example_40_payers_and_packages_in_one_export(cli: Inbox) -> None:
    """docs/SYNC_PLAN.md example 40: a New York pharmacy, anchor the 28th chosen Dec 1, 2026."""
    medsync("import", "--pharmacy", MAIN, str(EXAMPLE_40))
    plan = json.loads(
        medsync(
            "plan", "P3001", "--pharmacy", MAIN, "--date", "2026-12-01", "--anchor", "28", "--json"
        )
    )
    lines = {line["rx_number"]: line for line in plan["lines"]}
    short = {rx: (ln["short_fill"]["days"], ln["short_fill"]["units"]) for rx, ln in lines.items()}
    assert short == {
        "RX3001": (10, 10),  # 28-day pack: $10.00 / 28 days = $0.36 a day
        "RX3002": (14, 2),  # one tablet a week: 2 whole tablets, billed 14 days
        "RX3003": (3, 3),
        "RX3004": (3, 3),
        "RX3005": (3, 3),
    }
    costs = {rx: ln["short_fill_cost"] for rx, ln in lines.items()}
    assert costs == {
        "RX3001": "3.60",  # Part D: $0.36 x 10
        "RX3002": "4.06",  # Part D: $8.00 / 28 = $0.29 x 14
        "RX3003": "0.90",  # commercial, New York Insurance Law 3224-d: $0.30 x 3
        "RX3004": "0.60",  # cash: $6.00 / 30 tablets x 3
        "RX3005": "6.00",  # New York's law does not bind Medicaid: the full copay
    }
    assert plan["cost_notes"] == ["Your plan may charge a full copay for this shorter fill."]
    # Dec 25 is Christmas Day: the three fills due then go on Dec 24, with the prep day's
    # fills; the 28-day pack and the weekly tablet cannot join them without an override.
    assert [t["date"] for t in plan["trips"]] == ["2026-12-18", "2026-12-24", "2026-12-28"]
    assert plan["sync_visit"]["overrides"] == ["RX3003", "RX3004", "RX3005"]
    assert plan["sync_visit"]["adopted"] is False
