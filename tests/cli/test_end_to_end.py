"""The whole patient journey through the public interfaces only: the `medsync` command,
a real `medsync serve` process, and `medsync chat` texting it with signed requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli.main import main

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "imports" / "demo_export.csv"
TOKEN = "e2e-token-" + "0" * 22


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "MEDSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'pharmacy.db'}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_SENDER": "console",
        "MEDSYNC_CONSOLE_SHOWS_BODIES": "true",  # these tests read the texts
        # The real clock runs here: open the sending window all day, so a run at night is
        # not deferred (quiet hours have their own tests in tests/jobs).
        "MEDSYNC_SENDING_HOURS_START": "00:00",
        "MEDSYNC_SENDING_HOURS_END": "23:59:59",
        "MEDSYNC_SENDING_HOURS_END_BY_STATE": "{}",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MEDSYNC_PUBLIC_URL", raising=False)
    return values


def medsync(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def open_pharmacy(with_sample: bool = True) -> None:
    """A migrated database with the demo pharmacy and, unless told otherwise, the sample."""
    medsync("db", "upgrade")
    medsync(
        "pharmacy", "add", "Main Street Pharmacy", "--phone", "2125550199",
        "--twilio-number", "2125550100", "--timezone", "America/New_York",
    )  # fmt: skip
    if with_sample:
        medsync("import", str(SAMPLE))


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("medsync serve did not start: " + (tmp_path / "serve.log").read_text())
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_import_enroll_choose_day_check_in_and_review(env: dict[str, str], server: str) -> None:
    medsync("db", "upgrade")
    medsync(
        "pharmacy",
        "add",
        "Main Street Pharmacy",
        "--phone",
        "(212) 555-0199",
        "--twilio-number",
        "+1 212 555 0100",
        "--timezone",
        "America/New_York",
    )
    report = medsync("import", str(SAMPLE))
    assert "3 rows rejected" in report
    assert "line 26 (P1009, RX700901)" in report and "line 30 (P1010, RX701003)" in report

    chat = medsync("chat", "(212) 555-0123", "--url", server, stdin="hi\nyes\nthe 15th\n")
    lines = [line for line in chat.splitlines() if line.startswith("bot> ")]
    assert lines[0].startswith("bot> Hi Margaret, Main Street Pharmacy here.")
    assert "Which day of the month" in lines[1]
    assert lines[2].startswith("bot> Your pickup day is day 15 of each month.")
    assert "#1 [pending] new enrollment - P1001 Margaret Okafor" in medsync("queue")

    opened = medsync("checkin", "open", "P1001")
    assert (
        "[text to +12125550123] Hi Margaret, it's Main Street Pharmacy with your check-in" in opened
    )
    assert "Check-in opened for P1001: sent." in opened
    assert "already open" in medsync("checkin", "open", "P1001")

    answers = medsync("chat", "+12125550123", "--url", server, stdin="YES\nno\nno\nno\nyes\n")
    assert answers.splitlines()[-1].startswith(
        "bot> Thank you. A pharmacist will review your answers"
    )
    queue = medsync("queue")
    assert "FLAGGED flagged check in - P1001 Margaret Okafor" in queue
    # Metformin has no refills left after the pickup: a renewal task, raised at check-in.
    assert "renewal - P1001 Margaret Okafor" in queue
    assert "Ask the prescriber to renew Metformin 500 mg tablet (RX700103)" in queue
    assert "hospital stay or ER visit" in queue and "The fill is on hold." in queue


def test_chat_explains_when_no_server_runs(env: dict[str, str]) -> None:
    open_pharmacy(with_sample=False)
    result = CliRunner().invoke(
        main, ["chat", "+12125550123", "--url", f"http://127.0.0.1:{free_port()}"], input="hi\n"
    )
    assert result.exit_code == 1
    assert "Is `medsync serve` running?" in result.output


def test_cli_errors_are_plain_sentences(env: dict[str, str], tmp_path: Path) -> None:
    medsync("db", "upgrade")
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(SAMPLE)])
    assert result.exit_code == 1 and "medsync pharmacy add" in result.output
    result = runner.invoke(
        main,
        [
            "pharmacy",
            "add",
            "X",
            "--phone",
            "555-0100",
            "--twilio-number",
            "2125550100",
            "--timezone",
            "America/New_York",
        ],
    )
    assert result.exit_code == 1 and "is not a valid phone number" in result.output
    result = runner.invoke(
        main,
        [
            "pharmacy",
            "add",
            "X",
            "--phone",
            "2125550199",
            "--twilio-number",
            "2125550100",
            "--timezone",
            "Mars/Olympus",
        ],
    )
    assert result.exit_code == 1 and "is not a time zone" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,first_name\nP1,Ann\n")
    medsync(
        "pharmacy",
        "add",
        "X",
        "--phone",
        "2125550199",
        "--twilio-number",
        "2125550100",
        "--timezone",
        "America/New_York",
    )
    result = runner.invoke(main, ["import", str(bad)])
    assert result.exit_code == 1 and "missing" in result.output.lower()
    result = runner.invoke(main, ["checkin", "open", "P404"])
    assert result.exit_code == 1 and "No patient P404" in result.output


def test_plan_shows_the_recommendation_and_recomputes_for_another_anchor(
    env: dict[str, str],
) -> None:
    import json

    open_pharmacy()
    shown = medsync("plan", "P1001")
    assert shown.startswith("Sync plan for Margaret Okafor (P1001)")
    assert "Albuterol HFA inhaler 90 mcg (RX700104): Taken as needed (PRN): not synced." in shown
    assert "the latest next due date" in shown
    moved = json.loads(medsync("plan", "P1001", "--anchor", "20", "--json"))
    assert moved["anchor_day"] == 20 and moved["eligible"] is True
    assert moved["anchor_reason"].startswith("The 20th: chosen")
    refused = medsync("plan", "P1008")
    assert "is not eligible for med sync" in refused
    assert "Amoxicillin 500 mg capsule (RX700801): Acute course" in refused
    result = CliRunner().invoke(main, ["plan", "P1001", "--anchor", "31"])
    assert result.exit_code == 2 and "1<=x<=28" in result.output


def test_a_pharmacy_sets_its_own_program_and_plans_follow(env: dict[str, str]) -> None:
    open_pharmacy()
    assert "is not eligible for med sync" in medsync("plan", "P1006")  # C-IV and C-V are off
    shown = medsync("pharmacy", "program", "--set", "sync_controlled_c3_c5=true")
    assert "sync_controlled_c3_c5 = True   (this pharmacy's choice)" in shown
    assert "refill_window_pct = 80" in shown
    assert medsync("plan", "P1006").startswith("Sync plan for Min-jun Park (P1006)")
    medsync("pharmacy", "program", "--unset", "sync_controlled_c3_c5")
    assert "is not eligible for med sync" in medsync("plan", "P1006")
    for bad, said in [
        ("colour=blue", "Unknown program setting colour"),
        ("refill_window_pct=lots", "refill_window_pct is a whole number"),
        ("refill_window_pct=150", "refill window must be 1-100%"),
        ("anchor_policy=whenever", "unknown anchor policy"),
    ]:
        result = CliRunner().invoke(main, ["pharmacy", "program", "--set", bad])
        assert result.exit_code == 1 and said in result.output, result.output


def test_import_reads_excels_plain_csv_and_refuses_a_workbook(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Excel's plain "CSV" on a US Windows machine is Windows-1252 with US dates and language
    names: the import reads it as such and says so; a workbook gets one sentence."""
    open_pharmacy(with_sample=False)
    header = SAMPLE.read_text().splitlines()[0]
    row = (
        "Q1,José,Núñez,03/12/1950,(212) 555-0141,mobile,Spanish,RX9001,"
        "Lisinopril 10 mg tablet,1,30,30,11/03/2026,5,04/02/2026,,N,Y,,$10.00"
    )
    export = tmp_path / "excel.csv"
    export.write_bytes(f"{header}\r\n{row}\r\n".encode("cp1252"))
    output = medsync("import", str(export))
    assert "read as Windows-1252" in output
    assert "1 patient created" in output and "No rows rejected" in output
    assert "José Núñez (Q1)" in medsync("plan", "Q1")
    workbook = tmp_path / "export.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    result = CliRunner().invoke(main, ["import", str(workbook)])
    assert result.exit_code == 1
    assert "save it as CSV UTF-8" in result.output and "Traceback" not in result.output
