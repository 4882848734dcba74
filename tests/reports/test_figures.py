"""Every figure of the report against the numbers the test works out from the generated
program's own data (tests/reports/expected.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics

import pytest

from bot.reports.period import Period
from bot.reports.report import ProgramReport, build_report
from store.db import transaction
from store.models import Pharmacy
from tests.reports import expected
from tests.reports.conftest import Built
from tests.reports.program import FIRST, LAST, REASONS, ZONE

PERIOD = Period(FIRST, LAST, ZONE)


def report_of(built: Built, pharmacy_id: int | None = None) -> ProgramReport:
    with transaction(built.sessions) as session:
        pharmacy = session.get(Pharmacy, pharmacy_id or built.program.pharmacy_id)
        assert pharmacy is not None
        return build_report(session, pharmacy, PERIOD)


def approx(value: float | None) -> object:
    return pytest.approx(value, abs=1e-9)


def test_the_funnel_counts_each_step_and_the_drop_off(built: Built) -> None:
    patients = built.program.patients
    want = expected.funnel(patients)
    # The program is not trivial: every step has patients and every step loses some.
    sizes = [
        len(want[s]) for s in ("eligible", "invited", "consented", "anchor chosen", "approved")
    ]
    assert all(a > b > 0 for a, b in itertools.pairwise(sizes)), sizes
    report = report_of(built)
    assert report.funnel is not None
    previous = None
    for step in report.funnel.steps:
        assert step.patients == len(want[step.name]), step.name
        if previous is None:
            assert step.dropped == 0 and step.share_of_previous is None
        else:
            assert step.dropped == previous - len(want[step.name])
            assert step.share_of_previous == approx(len(want[step.name]) / previous)
        previous = len(want[step.name])
    declined = [p for p in patients if expected.inside(p.declined_at)]
    assert declined and report.funnel.declined == len(declined)


def test_check_ins_response_flags_and_decisions(built: Built) -> None:
    want = expected.check_ins(built.program.patients)
    report = report_of(built)
    got = report.check_ins
    assert got is not None
    assert want["no_answer"] and want["still_open"] and want["kept"] and want["waiting"]
    assert got.opened == want["opened"]
    assert got.answered == want["answered"]
    assert got.no_answer == want["no_answer"]
    assert got.still_open == want["still_open"]
    assert got.response_rate == approx(want["answered"] / want["opened"])  # type: ignore[operator]
    assert got.median_hours_to_answer == approx(want["median_hours"])  # type: ignore[arg-type]
    assert got.flagged == want["flagged"]
    assert got.flagged_share == approx(want["flagged"] / want["answered"])  # type: ignore[operator]
    assert got.released == want["released"]
    assert got.kept_on_hold == want["kept"]
    assert got.awaiting_decision == want["waiting"]
    assert got.released_share == approx(want["released"] / want["flagged"])  # type: ignore[operator]
    assert got.median_hours_to_decision == approx(want["median_decision_hours"])  # type: ignore[arg-type]
    reasons = want["reasons"]
    assert isinstance(reasons, dict)
    assert {r.flag: r.check_ins for r in got.reasons} == reasons
    assert {r.flag: r.label for r in got.reasons} == {f: REASONS[f] for f in reasons}
    for r in got.reasons:
        assert r.share_of_flagged == approx(reasons[r.flag] / want["flagged"])  # type: ignore[operator]


def test_weekly_response_rates_cover_every_week_of_the_period(built: Built) -> None:
    want = expected.check_ins(built.program.patients)
    got = report_of(built).check_ins
    assert got is not None
    opened, answered = want["weeks_opened"], want["weeks_answered"]
    assert isinstance(opened, dict) and isinstance(answered, dict)
    assert got.weeks[0].week.isoformat() == "2025-12-29"  # the Monday before Jan 1, 2026
    assert got.weeks[-1].week.isoformat() == "2026-11-23"
    assert len(got.weeks) == (dt.date(2026, 11, 23) - dt.date(2025, 12, 29)).days // 7 + 1 == 48
    for week in got.weeks:
        assert (week.opened, week.answered) == (
            opened.get(week.week, 0),
            answered.get(week.week, 0),
        )
        if week.opened:
            assert week.rate == approx(answered[week.week] / opened[week.week])
        else:
            assert week.rate is None
    assert sum(w.opened for w in got.weeks) == want["opened"]


def test_messaging_per_language_and_per_campaign(built: Built) -> None:
    want = expected.messaging(built.program.patients)
    got = report_of(built).messaging
    assert got is not None
    columns = ("texts", "sent", "delivered", "failed", "not sent", "waiting", "opted out")

    def as_counter(row: object) -> dict[str, int]:
        values = (row.texts, row.sent, row.delivered, row.failed, row.not_sent, row.waiting,  # type: ignore[attr-defined]
                  row.opted_out)  # type: ignore[attr-defined]  # fmt: skip
        return {c: v for c, v in zip(columns, values, strict=True) if v}

    assert {r.group: as_counter(r) for r in got.by_language} == {
        k: dict(v) for k, v in want["language"].items()
    }
    assert {r.group: as_counter(r) for r in got.by_campaign} == {
        k: dict(v) for k, v in want["campaign"].items()
    }
    assert as_counter(got.total) == dict(want["all"]["all"])
    assert all(want["all"]["all"][c] for c in columns), "every column has something to count"
    assert got.by_campaign[-1].group == "(not a campaign)"


def test_adherence_before_and_after_per_class(built: Built) -> None:
    rows = expected.adherence(built.program.patients)
    got = report_of(built).adherence
    assert got is not None
    assert got.patients == len({r[0] for r in rows})

    def adherent(values: list[float]) -> float | None:
        return round(100 * sum(v >= 80 for v in values) / len(values), 1) / 100 if values else None

    by_class = {c.therapy_class: c for c in got.classes}
    assert set(by_class) == {r[1] for r in rows} | {"all classes"}
    for therapy_class, found in by_class.items():
        mine = [r for r in rows if therapy_class in ("all classes", r[1])]
        before = [r[2] for r in mine if r[2] is not None]
        after = [r[3] for r in mine if r[3] is not None]
        assert found.measured_before == len(before), therapy_class
        assert found.measured_after == len(after), therapy_class
        assert found.adherent_before == approx(adherent(before))
        assert found.adherent_after == approx(adherent(after))
    everyone = by_class["all classes"]
    assert everyone.measured_after and everyone.measured_before
    assert everyone.adherent_after != everyone.adherent_before
    before_buckets = statistics.multimode([expected.bucket(r[2]) for r in rows if r[2]])
    assert before_buckets  # the distribution below has something in it
    for bucket, before, after in got.distribution:
        assert before == sum(
            1 for r in rows if r[2] is not None and expected.bucket(r[2]) == bucket
        )
        assert after == sum(1 for r in rows if r[3] is not None and expected.bucket(r[3]) == bucket)


def test_another_pharmacy_sees_only_its_own_program(built: Built) -> None:
    report = report_of(built, built.program.other_pharmacy_id)
    assert report.funnel is not None and report.check_ins is not None
    assert report.messaging is not None
    assert [s.patients for s in report.funnel.steps] == [1, 1, 1, 0, 0]
    assert report.check_ins.opened == report.check_ins.answered == 1
    assert report.messaging.total.texts == 1 and report.messaging.total.opted_out == 1
    assert [r.group for r in report.messaging.by_language] == ["es"]


def test_a_period_with_nothing_in_it_has_dashes_not_errors(built: Built) -> None:
    with transaction(built.sessions) as session:
        pharmacy = session.get(Pharmacy, built.program.pharmacy_id)
        assert pharmacy is not None
        empty = build_report(
            session, pharmacy, Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31), ZONE)
        )
    assert empty.check_ins is not None and empty.check_ins.response_rate is None
    assert empty.check_ins.median_hours_to_answer is None
    assert empty.messaging is not None and empty.messaging.total.delivered_share is None
    assert all(row[3] is None or row[3] == 0 for row in empty.table("funnel").rows[1:])
    assert "" in empty.table("check_in_summary").formatted()[2]
