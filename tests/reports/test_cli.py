"""`medsync report` through the command line: plain-text tables, CSV (every table, or one),
and plain sentences for bad input; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from tests.reports import expected
from tests.reports.conftest import Built
from tests.reports.program import FALL, PERIOD, SPRING, ZONE

STEPS = ("eligible", "invited", "consented", "anchor chosen", "approved")
RIVERSIDE = ("--pharmacy", "Riverside Pharmacy")
DATES = ("--from", PERIOD["from"], "--to", PERIOD["to"])


@pytest.fixture
def cli(built: Built, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Built:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    return built


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["report", *args])


def funnel_rows(built: Built) -> list[list[str]]:
    want = expected.funnel(built.program.patients)
    rows, previous = [], None
    for step in STEPS:
        count = len(want[step])
        dropped = "" if previous is None else str(previous - count)
        share = "" if previous is None else f"{100 * count / previous:.1f}"
        rows.append([step, str(count), dropped, share])
        previous = count
    return rows


def test_plain_text_tables_show_every_section(cli: Built) -> None:
    result = run(*DATES, *RIVERSIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Program report: Riverside Pharmacy, 2026-01-01 to 2026-11-29")
    for heading in ("ENROLLMENT FUNNEL", "CHECK-INS", "MESSAGING", "ADHERENCE"):
        assert heading in out
    lines = [line.split() for line in out.splitlines()]
    for step, count, dropped, share in funnel_rows(cli):
        words = step.split()
        found = [line for line in lines if line[: len(words)] == words]
        assert found and found[0][len(words) :] == [count, dropped or "-", share or "-"], step
    want = expected.check_ins(cli.program.patients)
    opened = next(line for line in lines if line[:1] == ["opened"])
    assert opened == ["opened", str(want["opened"])]
    assert f"{FALL}" in out  # staff text is printed as typed, not read as markup


def test_csv_of_every_table_in_blocks(cli: Built) -> None:
    result = run(*DATES, *RIVERSIDE, "--csv")
    assert result.exit_code == 0, result.output
    blocks: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []  # rows before any table name would be lost: none are
    for row in csv.reader(io.StringIO(result.output)):
        if not row:
            continue
        if len(row) == 1 and row[0] in expected_tables():
            current = blocks.setdefault(row[0], [])
            continue
        current.append(row)
    assert list(blocks) == list(expected_tables())
    assert blocks["funnel"][0] == ["step", "patients", "dropped", "% of previous step"]
    assert blocks["funnel"][1:] == funnel_rows(cli)
    campaigns = {row[0]: row for row in blocks["messages_by_campaign"][1:]}
    assert set(campaigns) == {"'" + FALL, SPRING, "(not a campaign)", "all"}  # no formula
    want = expected.messaging(cli.program.patients)["campaign"]
    assert campaigns[SPRING][1] == str(want[SPRING]["texts"])
    assert campaigns["'" + FALL][8] == str(want[FALL]["opted out"])


def expected_tables() -> tuple[str, ...]:
    return (
        "funnel",
        "check_in_summary",
        "check_in_reasons",
        "check_in_weeks",
        "messages_by_language",
        "messages_by_campaign",
        "adherence_classes",
        "adherence_distribution",
    )


def test_one_table_is_a_plain_csv(cli: Built) -> None:
    result = run(*DATES, *RIVERSIDE, "--csv", "--section", "messages_by_language")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    want = expected.messaging(cli.program.patients)["language"]
    assert [r["language"] for r in rows] == [*sorted(want), "all"]
    for row in rows[:-1]:
        counts = want[row["language"]]
        assert int(row["texts"]) == counts["texts"]
        assert int(row["delivered"]) == counts["delivered"]
        assert row["delivered (% of sent)"] == f"{100 * counts['delivered'] / counts['sent']:.1f}"
    weeks = run(*DATES, *RIVERSIDE, "--csv", "--section", "check_ins").output
    assert weeks.splitlines()[0] == "check_in_summary"  # a section: its tables in blocks
    assert "check_in_weeks" in weeks and "funnel" not in weeks


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("--from", "2026-02-30"), "The --from date '2026-02-30' is not a date"),
        (("--to", "yesterday"), "The --to date 'yesterday' is not a date: write it as YYYY-MM-DD."),
        (("--from", "2026-05-01", "--to", "2026-04-01"), "The period starts (2026-05-01) after"),
        (("--from", "2000-01-01"), "Choose a period of at most"),
        (("--section", "everything"), "There is no section or table called 'everything'."),
        (("--pharmacy", "Nowhere"), "No pharmacy called or numbered 'Nowhere'."),
        ((), "Say which pharmacy with --pharmacy"),
    ],
)
def test_bad_input_gets_a_sentence(cli: Built, args: tuple[str, ...], sentence: str) -> None:
    chosen = args if "--pharmacy" in args or not args else (*args, *RIVERSIDE)
    result = run(*chosen)
    assert result.exit_code == 1
    assert sentence in result.output
    assert "Traceback" not in result.output


def test_the_default_period_is_the_90_days_that_end_today(cli: Built) -> None:
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    result = run(*RIVERSIDE, "--section", "funnel")
    assert result.exit_code == 0, result.output
    first = today - dt.timedelta(days=89)
    assert result.output.startswith(
        f"Program report: Riverside Pharmacy, {first.isoformat()} to {today.isoformat()}"
    )
    assert "CHECK-INS" not in result.output
