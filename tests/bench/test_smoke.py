"""Each benchmark script runs end to end on a few rows, so the scripts do not rot.

The scripts themselves are slow and print figures (docs/BENCHMARKS.md); these runs check
only that they finish and report what they did.
"""

from __future__ import annotations

import pytest

from tests.bench import campaign, importing, instructions, scheduler, sending, worklist

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.getfixturevalue("postgres_ready")  # the server is up (or the reason why not)
    return str(request.param)


def _run(main: object, argv: list[str]) -> str:
    lines: list[str] = []
    main(argv, lines.append)  # type: ignore[operator]
    return "\n".join(lines)


@pytest.mark.parametrize("database", KINDS, indirect=True)
def test_importing_reports_both_imports(database: str) -> None:
    printed = _run(importing.main, [database, "--rows", "30"])
    assert "Import of 30 rows (10 patients)" in printed
    first, again = printed.splitlines()[2:4]
    assert "10 patients created" in first and "30 prescriptions created" in first
    assert "0 patients created, 0 patients updated, 0 prescriptions created" in again


@pytest.mark.parametrize("database", KINDS, indirect=True)
@pytest.mark.parametrize("indexes", [[], ["--without-indexes"]])
def test_scheduler_finds_exactly_the_due_patients(database: str, indexes: list[str]) -> None:
    printed = _run(scheduler.main, [database, "--patients", "280", "--due", "2", *indexes])
    assert "rows: patient 280, enrollment 280" in printed
    assert "2 check-ins opened, 0 follow-ups, 2 pickup reminders" in printed
    assert "one tick" in printed


@pytest.mark.redis
@pytest.mark.parametrize("database", KINDS, indirect=True)
def test_campaign_plans_everyone_and_runs_the_first(
    database: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(campaign, "REDIS", redis_url)
    printed = _run(campaign.main, [database, "--patients", "12", "--write", "4", "--pace", "50"])
    assert "{'pending': 12}" in printed
    assert "enqueue (12 in 1 chunk jobs)" in printed
    assert "write (4 invitations" in printed and "texts a second at the API" in printed


@pytest.mark.redis
# The shipped worker does not fork (RQ's SimpleWorker); the forking one stays in the bench for
# the before/after figures, run by hand: forking a test process that holds threads can hang.
@pytest.mark.parametrize("worker", ["simple"])
def test_sending_sends_every_message_and_measures_the_throttle(
    worker: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "REDIS", redis_url)
    printed = _run(sending.main, ["sqlite", "--messages", "6", "--rate", "20", "--worker", worker])
    ceiling, throttled = printed.splitlines()[1:3]
    assert "6 sent" in ceiling and "at the API" in ceiling
    assert "6 sent" in throttled and "of the set rate" in throttled


def test_worklist_lists_every_enrolled_patient_once() -> None:
    printed = _run(worklist.main, ["sqlite", "--patients", "56"])
    assert "56 patient pickups" in printed  # each pickup on exactly one preparation day


def test_understanding_reports_every_language_and_step_and_the_time() -> None:
    from tests.bench import understanding

    printed = _run(understanding.main, ["--repeat", "1"])
    assert "Understanding: " in printed and "zh-Hant" in printed and "still_coming" in printed
    assert "µs per message" in printed


def test_instructions_child_answers_every_measured_text() -> None:
    """The part valgrind runs (the count itself needs valgrind and minutes: not here)."""
    answers = instructions.answer_texts("sqlite", 12, 6)
    assert len(answers) == 6
    assert all("<Message>" in twiml for twiml in answers)
