"""A pharmacy's open days and hours (issue 16 item 6) through `medsync pharmacy days`, and the
plan that `medsync plan` shows with them: the real pickup day, the trips."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import transaction
from store.models import AuditEvent, Pharmacy
from tests.inbox.conftest import SQLITE_ONLY, Inbox

MAIN = "Main Street Pharmacy"


def medsync(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def stored(inbox: Inbox) -> tuple[object, object]:
    with transaction(inbox.sessions) as session:
        found = session.scalar(select(Pharmacy).where(Pharmacy.name == MAIN))
        assert found is not None
        return found.open_days, found.hours


def test_closed_days_and_hours_are_set_shown_and_audited(cli: Inbox) -> None:
    out = medsync(
        "pharmacy", "days", "--pharmacy", MAIN, "--close-weekday", "Sunday",
        "--close-weekday", "sat", "--open-weekday", "Saturday", "--close", "2026-12-26",
        "--open-on-holiday", "Columbus Day", "--hours", "Mon-Sat 9am-7pm, Sun closed",
    )  # fmt: skip
    assert "Hours: Mon-Sat 9am-7pm, Sun closed" in out
    assert "Closed every week: Sunday" in out
    assert "Closed on holidays: US" in out
    assert "Open anyway on: Columbus Day" in out
    assert "Closed dates: 2026-12-26" in out
    days, hours = stored(cli)
    assert days == {
        "closed_weekdays": [6],
        "holidays": "US",
        "holiday_subdivision": None,
        "observed": False,
        "open_on_holidays": ["Columbus Day"],
        "closed_dates": ["2026-12-26"],
    }
    assert hours == "Mon-Sat 9am-7pm, Sun closed"
    medsync("pharmacy", "days", "--pharmacy", MAIN, "--reopen", "2026-12-26")
    assert stored(cli)[0]["closed_dates"] == []  # type: ignore[index]
    with transaction(cli.sessions) as session:
        audits = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pharmacy.open_days")
        ).all()
        assert len(audits) == 2
        assert audits[1].before["open_days"]["closed_dates"] == ["2026-12-26"]  # type: ignore[index]
    # Showing changes nothing and records nothing.
    medsync("pharmacy", "days", "--pharmacy", MAIN)
    with transaction(cli.sessions) as session:
        count = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "pharmacy.open_days")
        ).all()
        assert len(count) == 2


@SQLITE_ONLY
def test_bad_settings_are_refused_in_a_sentence_and_nothing_is_kept(cli: Inbox) -> None:
    before = stored(cli)
    for args, sentence in [
        (("--close-weekday", "Funday"), "'Funday' is not a weekday"),
        (("--holidays", "XX"), "no holiday calendar for country 'XX'"),
        (("--holiday-subdivision", "ZZ"), "no holiday calendar for US subdivision 'ZZ'"),
        (("--close", "2026-13-01"), "'2026-13-01' is not a date; write YYYY-MM-DD."),
        (
            tuple(a for d in range(7) for a in ("--close-weekday", str(d))),
            "a pharmacy closed every day of the week cannot run a sync program",
        ),
    ]:
        out = medsync("pharmacy", "days", "--pharmacy", MAIN, *args, code=1)
        assert sentence in out and "Traceback" not in out
    assert stored(cli) == before


@SQLITE_ONLY
def test_example_44_the_plan_names_the_real_pickup_and_the_trips(cli: Inbox) -> None:
    # Example 23 of docs/SYNC_PLAN.md through the CLI: one sync visit on Dec 7, then the 15th.
    out = medsync("plan", "P1001", "--pharmacy", MAIN, "--date", "2026-12-07", "--anchor", "15")
    assert "Trips: One visit on Dec 7, 2026, then on the 15th of every month from Dec 15" in out
    # Christmas Day is closed (US federal holidays by default): the pickup is Dec 24.
    out = medsync("plan", "P1001", "--pharmacy", MAIN, "--date", "2026-12-01", "--anchor", "25")
    assert "First pickup Dec 24, 2026, then on the 25th of every month." in out
    assert "Dec 25, 2026 is Christmas Day, when the pharmacy is closed: that pickup is on " in out
    assert "Check-in Dec 17, 2026; fills ready Dec 21, 2026." in out
    assert "would need a refill-too-soon override for RX700102" in out
    # A pharmacy that also closes on Dec 24 hands it out on Dec 23.
    medsync("pharmacy", "days", "--pharmacy", MAIN, "--close", "2026-12-24")
    plan = json.loads(
        medsync(
            "plan", "P1001", "--pharmacy", MAIN, "--date", "2026-12-01", "--anchor", "25", "--json"
        )
    )
    assert plan["first_synced_pickup"] == "2026-12-23"
    assert plan["first_synced_anchor"] == "2026-12-25"
    assert [t["date"] for t in plan["trips"]][-1] == "2026-12-23"
