"""The prep-day worklist (issue 16 item 4) through `medsync worklist` and the inbox page:
pickups prepared on a day (moved off closed days), each prescription's fill, the check-in's
state, renewals pending, delivery, ticks recorded and audited; CSV and print."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import transaction
from store.models import (
    AuditEvent,
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.preferences import PatientPreference
from store.worklist import WorklistTick
from tests.helpers import NOW
from tests.inbox import factories
from tests.inbox.conftest import SQLITE_ONLY, TOM, UMA, Inbox, csrf_from, post_form

CHRISTMAS = dt.date(2026, 12, 25)  # a Friday: the pickup is Thursday Dec 24
PREP = dt.date(2026, 12, 21)  # Monday: Dec 24 - 3 days
MAIN = "Main Street Pharmacy"


def medsync(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--pharmacy", MAIN], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def medsync_fails(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--pharmacy", MAIN], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.output


def enroll(inbox: Inbox, external_id: str, anchor: dt.date, held: bool = False) -> None:
    with transaction(inbox.sessions) as session:
        patient = factories.patient(session, external_id, inbox.ids["main"])
        session.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=anchor.day,
                cycle="monthly",
                next_anchor_date=anchor,
                updated_at=NOW,
            )
        )
        if held:
            session.add(
                CheckIn(
                    patient_id=patient.id,
                    anchor_date=anchor,
                    status=CheckInStatus.FLAGGED,
                    definition="check_in@1",
                    answers={},
                    opened_at=NOW,
                )
            )
            session.add(
                ReviewItem(
                    pharmacy_id=inbox.ids["main"],
                    patient_id=patient.id,
                    kind=ReviewKind.RENEWAL,
                    status=ReviewStatus.PENDING,
                    priority=1,
                    summary="Renewal needed",
                    details={"rx_number": "RX700103", "anchor_date": anchor.isoformat()},
                    created_at=NOW,
                )
            )
            session.add(PatientPreference(patient_id=patient.id, delivery=True, updated_at=NOW))


def post_tick(  # type: ignore[no-untyped-def]
    client, html: str, inbox: Inbox, date: str, patient: str, rx_number: str
):
    """The worklist page's tick form, posted as the page would."""
    return client.post(
        "/inbox/worklist/tick",
        data={
            "csrf_token": csrf_from(html),
            "pharmacy": str(inbox.ids["main"]),
            "date": date,
            "patient": patient,
            "rx_number": rx_number,
        },
        follow_redirects=False,
    )


def test_example_43_the_cli_lists_ticks_and_exports_the_fills_of_a_moved_pickup(cli: Inbox) -> None:
    enroll(cli, "P1001", CHRISTMAS, held=True)
    enroll(cli, "P1002", dt.date(2026, 12, 28))  # prepared Dec 24 (Dec 25 is closed)
    shown = medsync("worklist", "--date", PREP.isoformat())
    assert "Prep-day worklist at Main Street Pharmacy for Mon Dec 21, 2026" in shown
    assert "Pickup Thu Dec 24, 2026: 1 patients, 3 fills" in shown
    assert "Margaret Okafor (P1001) (anchor Dec 25, closed): check-in held; delivery" in shown
    assert "[ ] RX700101 Lisinopril 10 mg tablet: full fill, 31 days, 31 units" in shown
    assert "RX700103 Metformin 500 mg tablet: full fill, 31 days, 62 units [renewal pending]" in (
        shown
    )
    assert "P1002" not in shown
    # The Dec 28 pickup is prepared Thursday Dec 24: its T-3, Dec 25, is Christmas Day.
    later = medsync("worklist", "--date", "2026-12-24")
    assert "Pickup Mon Dec 28, 2026" in later and "P1002" in later

    ticked = medsync("worklist", "--date", PREP.isoformat(), "--tick", "P1001:RX700101")
    assert "Ticked P1001:RX700101." in ticked
    assert "[x] RX700101 Lisinopril 10 mg tablet" in ticked and "ticked by cli" in ticked
    again = medsync("worklist", "--date", PREP.isoformat(), "--tick", "P1001:RX700101")
    assert "P1001:RX700101 was already ticked." in again

    rows = list(csv.DictReader(io.StringIO(medsync("worklist", "--date", "2026-12-21", "--csv"))))
    assert [(r["rx_number"], r["fill"], r["ticked_by"]) for r in rows] == [
        ("RX700101", "full fill", "cli"),
        ("RX700102", "full fill", ""),
        ("RX700103", "full fill", ""),
    ]
    assert rows[0]["pickup_date"] == "2026-12-24" and rows[0]["anchor_date"] == "2026-12-25"
    assert rows[0]["check_in"] == "held" and rows[0]["delivery"] == "delivery"
    assert rows[2]["renewal_pending"] == "yes"

    medsync("worklist", "--date", PREP.isoformat(), "--untick", "P1001:RX700101")
    with transaction(cli.sessions) as session:
        ticks = session.scalars(select(WorklistTick).order_by(WorklistTick.id)).all()
        assert [(t.rx_number, t.undone, t.actor) for t in ticks] == [
            ("RX700101", False, "cli"),
            ("RX700101", True, "cli"),
        ]
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("worklist.%"))
        ).all()
        assert actions == ["worklist.tick", "worklist.untick"]
    assert "[ ] RX700101" in medsync("worklist", "--date", PREP.isoformat())


@SQLITE_ONLY
def test_bad_ticks_are_refused_in_a_sentence(cli: Inbox) -> None:
    enroll(cli, "P1001", CHRISTMAS)
    assert "Write the fill as PATIENT:RX" in medsync_fails("worklist", "--tick", "P1001")
    out = medsync_fails("worklist", "--date", PREP.isoformat(), "--tick", "P1004:RX1")
    assert "P1004 is not on the worklist for Dec 21, 2026. Nothing was ticked." in out
    out = medsync_fails("worklist", "--date", PREP.isoformat(), "--tick", "P1001:RX999")
    assert "P1001 has no prescription RX999. Nothing was ticked." in out
    empty = medsync("worklist", "--date", "2026-12-22")
    assert "Nothing to prepare" in empty


@SQLITE_ONLY
def test_the_inbox_page_escapes_ticks_audits_and_prints(inbox: Inbox) -> None:
    enroll(inbox, "P1001", CHRISTMAS, held=True)
    with transaction(inbox.sessions) as session:
        factories.patient(session, "P1001", inbox.ids["main"]).last_name = factories.XSS
    client = inbox.sign_in(TOM)  # a technician prepares the fills
    page = client.get(f"/inbox/worklist?date={PREP.isoformat()}")
    assert page.status_code == 200
    html = page.text
    assert "Pickup Thu Dec 24, 2026" in html and "Lisinopril 10 mg tablet" in html
    assert factories.XSS not in html and "&lt;script&gt;" in html
    assert "Renewal pending" in html and ">held<" in html and "Delivery" in html
    assert 'href="/inbox/worklist.csv?pharmacy=' in html

    response = post_tick(client, html, inbox, PREP.isoformat(), "P1001", "RX700102")
    assert response.status_code == 303
    after = client.get(response.headers["location"]).text
    assert "Ticked by tom@example.org" in after

    exported = client.get(f"/inbox/worklist.csv?date={PREP.isoformat()}")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "medsync-worklist-2026-12-21.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[1]["ticked_by"] == "tom@example.org"
    assert rows[0]["patient"] == "Margaret " + factories.XSS  # plain text in a CSV

    with transaction(inbox.sessions) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == TOM).order_by(AuditEvent.id)
        ).all()
        # The rows name the patients listed (issue 17: /audit?patient= finds the worklist).
        shown = session.scalars(
            select(AuditEvent.patients).where(AuditEvent.action == "export_worklist")
        ).one()
        margaret_id = factories.patient(session, "P1001").id
    assert {"view_worklist", "worklist.tick", "export_worklist"} <= set(actions)
    assert str(margaret_id) in (shown or "").split()

    assert client.get("/inbox/worklist?date=12/21").status_code == 400
    assert client.get(f"/inbox/worklist?pharmacy={inbox.ids['uptown']}").status_code == 403


@SQLITE_ONLY
def test_a_prescription_not_filled_that_day_cannot_be_ticked(cli: Inbox) -> None:
    """QA: P1001's albuterol inhaler (PRN, never synced) is not on the Dec 21 list, yet
    `--tick P1001:RX700104` said "Ticked" and wrote a tick and an audit row for a fill that
    nobody was asked to make (an oxycodone CII the same way)."""
    enroll(cli, "P1001", CHRISTMAS)
    out = medsync_fails("worklist", "--date", PREP.isoformat(), "--tick", "P1001:RX700104")
    assert (
        "RX700104 is not one of P1001's fills for the pickup on Dec 24, 2026. "
        "Nothing was ticked." in out
    )
    with transaction(cli.sessions) as session:
        assert session.scalar(select(WorklistTick.id)) is None
    # Taking back a tick is still possible for any of the patient's prescriptions.
    assert "was already unticked" in medsync(
        "worklist", "--date", PREP.isoformat(), "--untick", "P1001:RX700104"
    )


def test_the_page_refuses_a_tick_of_a_prescription_not_listed(inbox: Inbox) -> None:
    enroll(inbox, "P1001", CHRISTMAS)
    client = inbox.sign_in(TOM)
    html = client.get(f"/inbox/worklist?date={PREP.isoformat()}").text
    response = post_tick(client, html, inbox, PREP.isoformat(), "P1001", "RX700104")
    assert response.status_code == 303  # back to the list, with the notice
    with transaction(inbox.sessions) as session:
        assert session.scalar(select(WorklistTick.id)) is None
    shown = client.get(response.headers["location"]).text
    assert "Nothing was ticked." in shown


@SQLITE_ONLY
def test_another_pharmacys_staff_cannot_tick(inbox: Inbox) -> None:
    enroll(inbox, "P1001", CHRISTMAS)
    client = inbox.sign_in(UMA)
    html = client.get("/inbox/worklist").text
    response = post_tick(client, html, inbox, PREP.isoformat(), "P1001", "RX700101")
    assert response.status_code == 403
    with transaction(inbox.sessions) as session:
        assert session.scalar(select(WorklistTick.id)) is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_print_stylesheet_hides_the_forms(inbox: Inbox) -> None:
    css = inbox.client.get("/static/inbox/inbox.css").text
    printed = css[css.index("@media print") :]
    assert ".worklist form" in printed and ".print-only { display: inline" in printed


@SQLITE_ONLY
def test_an_inactive_prescription_is_not_on_the_worklist(cli: Inbox) -> None:
    enroll(cli, "P1001", CHRISTMAS)
    with transaction(cli.sessions) as session:
        patient = factories.patient(session, "P1001", cli.ids["main"])
        [rx] = [r for r in patient.prescriptions if r.rx_number == "RX700102"]
        rx.status = "discontinued"
    shown = medsync("worklist", "--date", PREP.isoformat())
    assert "RX700101" in shown and "RX700102" not in shown
    assert "Pickup Thu Dec 24, 2026: 1 patients, 2 fills" in shown


# ------------------------------------------------------------------ the first cycle's sync visits
# Dorothy Walsh (P1005) chose the 9th on Nov 29: her plan (`medsync plan P1005 --anchor 9`)
# makes visits on Dec 6 (two short fills), Dec 9 (their first full fills on the anchor) and
# Dec 18 (the warfarin's short fill; one sync visit would need an override), then every
# medicine on Jan 9, 2027, the first synced pickup her enrollment keeps.
DOROTHY_SYNCED = dt.date(2027, 1, 9)


def enroll_dorothy(inbox: Inbox) -> None:
    enroll(inbox, "P1005", DOROTHY_SYNCED)


def test_the_cli_lists_each_sync_visit_on_its_prep_day_with_the_short_fills(cli: Inbox) -> None:
    enroll_dorothy(cli)
    first = medsync("worklist", "--date", "2026-12-03")
    assert "Pickup Sun Dec 06, 2026: 1 patients, 2 fills" in first
    assert (
        "Dorothy Walsh (P1005): sync visit before the first synced pickup Sat Jan 09, "
        "no check-in; pickup"
    ) in first
    assert "[ ] RX700502 Furosemide 20 mg tablet: short fill, 3 days, 3 units" in first
    assert "[ ] RX700503 Potassium chloride ER 10 mEq tablet: short fill, 3 days, 3 units" in first
    assert "RX700501" not in first
    anchor_visit = medsync("worklist", "--date", "2026-12-06")
    assert "Pickup Wed Dec 09, 2026: 1 patients, 2 fills" in anchor_visit
    assert "RX700502 Furosemide 20 mg tablet: full fill, 31 days" in anchor_visit
    warfarin = medsync("worklist", "--date", "2026-12-15")
    assert "Pickup Fri Dec 18, 2026: 1 patients, 1 fills" in warfarin
    assert "[ ] RX700501 Warfarin 5 mg tablet: short fill, 22 days, 22 units" in warfarin
    # No trip on the days between, and the synced pickup is the enrollment's own entry.
    assert "Nothing to prepare" in medsync("worklist", "--date", "2026-12-04")
    synced = medsync("worklist", "--date", "2027-01-06")
    assert "Pickup Sat Jan 09, 2027: 1 patients, 3 fills" in synced
    assert "Dorothy Walsh (P1005): check-in not sent; pickup" in synced
    assert "sync visit" not in synced

    rows = list(csv.DictReader(io.StringIO(medsync("worklist", "--date", "2026-12-15", "--csv"))))
    assert [(r["rx_number"], r["fill"], r["days"], r["trip"], r["check_in"]) for r in rows] == [
        ("RX700501", "short fill", "22", "sync visit", "none (sync visit)")
    ]
    assert rows[0]["pickup_date"] == rows[0]["anchor_date"] == "2026-12-18"
    synced_rows = list(
        csv.DictReader(io.StringIO(medsync("worklist", "--date", "2027-01-06", "--csv")))
    )
    assert {r["trip"] for r in synced_rows} == {"synced pickup"}

    # A visit's tick is its own: the synced pickup's same prescription stays unticked.
    ticked = medsync("worklist", "--date", "2026-12-15", "--tick", "P1005:RX700501")
    assert "Ticked P1005:RX700501." in ticked and "[x] RX700501" in ticked
    assert "[ ] RX700501" in medsync("worklist", "--date", "2027-01-06")
    with transaction(cli.sessions) as session:
        [tick] = session.scalars(select(WorklistTick)).all()
        assert (tick.anchor_date, tick.pickup_date) == (dt.date(2026, 12, 18),) * 2


def test_the_inbox_page_marks_a_sync_visit(inbox: Inbox) -> None:
    enroll_dorothy(inbox)
    client = inbox.sign_in(TOM)
    html = client.get("/inbox/worklist?date=2026-12-03").text
    assert "Pickup Sun Dec 06, 2026" in html and "Furosemide 20 mg tablet" in html
    assert "Sync visit" in html and "first synced pickup Sat Jan 09" in html
    assert "none (sync visit)" in html and "short fill: 3 days, 3 units" in html
    response = post_tick(client, html, inbox, "2026-12-03", "P1005", "RX700503")
    assert response.status_code == 303
    assert "Ticked by tom@example.org" in client.get(response.headers["location"]).text
    rows = list(csv.DictReader(io.StringIO(client.get("/inbox/worklist.csv?date=2026-12-03").text)))
    assert [(r["rx_number"], r["trip"], r["ticked_by"]) for r in rows] == [
        ("RX700502", "sync visit", ""),
        ("RX700503", "sync visit", "tom@example.org"),
    ]
    assert (
        "Nothing to prepare: no pickup or sync visit"
        in client.get("/inbox/worklist?date=2026-12-04").text
    )


@SQLITE_ONLY
def test_sync_visits_stop_once_the_first_anchor_has_passed(cli: Inbox) -> None:
    """A patient past a pickup cycle is in sync: the plan's short fills are not first-cycle
    visits any more (only the enrollment's own pickup is listed)."""
    from store.dispensing import CycleState, PickupCycle

    enroll_dorothy(cli)
    with transaction(cli.sessions) as session:
        session.add(
            PickupCycle(
                patient_id=factories.patient(session, "P1005").id,
                anchor_date=dt.date(2026, 11, 9),
                state=CycleState.PICKED_UP.value,
                updated_at=NOW,
            )
        )
    assert "Nothing to prepare" in medsync("worklist", "--date", "2026-12-03")


@SQLITE_ONLY
def test_a_sync_visit_on_a_closed_day_is_prepared_for_the_open_day_before(cli: Inbox) -> None:
    """Units: closed on Sundays, the plan hands the Dec 6 short fills out on Saturday Dec 5
    (dialogs/plan/open_days.py); the worklist takes the plan's day and prepares it Dec 2."""
    from bot.program import worklist as work
    from store.models import Pharmacy

    enroll_dorothy(cli)
    with transaction(cli.sessions) as session:
        pharmacy = session.get(Pharmacy, cli.ids["main"])
        assert pharmacy is not None
        pharmacy.open_days = {"closed_weekdays": [6]}
        listed = work.worklist(session, pharmacy, dt.date(2026, 12, 2))
        [day] = listed.days
        [visit] = day.patients
        assert day.date == dt.date(2026, 12, 5) and visit.synced_pickup == DOROTHY_SYNCED
        assert (
            visit.sync_visit and visit.trip == "sync visit" and visit.check_in == work.NO_CHECK_IN
        )
        assert [(f.rx_number, f.kind) for f in visit.fills] == [
            ("RX700502", "short fill"),
            ("RX700503", "short fill"),
        ]
        assert work.on_list(listed, "P1005", "RX700502") is visit
        assert work.on_list(listed, "P1005") is visit and work.on_list(listed, "P1001") is None
        assert work.worklist(session, pharmacy, dt.date(2026, 12, 3)).days == ()


def test_the_csv_keeps_formula_like_text_from_the_export_as_text(cli: Inbox) -> None:
    """A name, id or prescription number that starts like a spreadsheet formula (CSV injection)
    is exported with a leading apostrophe; every other cell is unchanged."""
    enroll(cli, "P1001", CHRISTMAS)
    with transaction(cli.sessions) as session:
        patient = factories.patient(session, "P1001", cli.ids["main"])
        patient.external_id = "@P1001"
        patient.first_name = '=HYPERLINK("http://x","Margaret")'
        rx = next(p for p in patient.prescriptions if p.rx_number == "RX700101")
        rx.rx_number = "+RX700101"
        rx.drug_name = "-Lisinopril 10 mg tablet"
    rows = list(csv.DictReader(io.StringIO(medsync("worklist", "--date", "2026-12-21", "--csv"))))
    assert {r["patient_id"] for r in rows} == {"'@P1001"}
    assert all(r["patient"].startswith("'=HYPERLINK(") for r in rows)
    assert (rows[0]["rx_number"], rows[0]["drug"]) == (
        "'+RX700101",
        "'-Lisinopril 10 mg tablet",
    )
    assert rows[1]["rx_number"] == "RX700102" and rows[1]["days"] == "31"


# ------------------------------------------------------------------ a plan made again
# A settled patient (a pickup cycle behind them) whose pickup day changes, or who enrolls
# again after leaving, gets the new plan's short fills as sync visits too: until a pickup cycle
# on or after the day the plan was made (enrollment.planned_on) is behind them.
PREP_DAYS_TO_JAN = [dt.date(2026, 11, 29) + dt.timedelta(days=n) for n in range(45)]


def settle_dorothy(
    inbox: Inbox,
    day: int,
    planned_on: dt.date | None,
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE,
    cycle_on: dt.date | None = None,
) -> int:
    """Dorothy in sync on `day`: the pickup of Nov `day` picked up (a cycle behind her), her
    next pickup Dec `day`; the day chosen on `planned_on` (None: before it was recorded). Her
    enrollment was last updated today, as the scheduler does when it moves the anchor on."""
    from store.dispensing import CycleState, PickupCycle

    with transaction(inbox.sessions) as session:
        dorothy = factories.patient(session, "P1005", inbox.ids["main"])
        session.add(
            Enrollment(
                patient_id=dorothy.id,
                status=status,
                anchor_day=day,
                cycle="monthly",
                next_anchor_date=dt.date(2026, 12, day),
                updated_at=NOW,
                planned_on=planned_on,
            )
        )
        session.add(
            PickupCycle(
                patient_id=dorothy.id,
                anchor_date=cycle_on or dt.date(2026, 11, day),
                state=CycleState.PICKED_UP.value,
                updated_at=NOW,
            )
        )
        return dorothy.id


def visits_listed(days: list[dt.date]) -> dict[str, list[tuple[str, str]]]:
    """Each preparation day's CSV rows (trip, rx) for Dorothy, where there are any."""
    found: dict[str, list[tuple[str, str]]] = {}
    for day in days:
        rows = csv.DictReader(io.StringIO(medsync("worklist", "--date", day.isoformat(), "--csv")))
        mine = [(r["trip"], r["rx_number"]) for r in rows if r["patient_id"] == "P1005"]
        if mine:
            found[day.isoformat()] = mine
    return found


def test_a_settled_patient_whose_day_changes_gets_the_visits_lining_up_again(cli: Inbox) -> None:
    """Dorothy, in sync on the 20th since September, moves to the 9th on Nov 29 in the inbox:
    the plan of Nov 29 (the one `medsync plan P1005 --anchor 9` shows) has her come Dec 6,
    Dec 9 and Dec 18 for short fills, then every medicine on Jan 9, 2027."""
    dorothy = settle_dorothy(cli, 20, planned_on=dt.date(2026, 9, 1))
    before = medsync("worklist", "--date", "2026-12-17")
    assert "Pickup Sun Dec 20, 2026: 1 patients" in before and "sync visit" not in before
    client = cli.sign_in()
    page = f"/patients/{dorothy}"
    assert post_form(client, page, f"{page}/anchor-day", day="9").status_code == 303
    with transaction(cli.sessions) as session:
        enrollment = session.scalars(select(Enrollment)).one()
        assert (enrollment.anchor_day, enrollment.next_anchor_date) == (9, DOROTHY_SYNCED)
        assert enrollment.planned_on == dt.date(2026, 11, 29)

    first = medsync("worklist", "--date", "2026-12-03")
    assert "Pickup Sun Dec 06, 2026: 1 patients, 2 fills" in first
    assert "Dorothy Walsh (P1005): sync visit before the first synced pickup Sat Jan 09" in first
    assert "[ ] RX700502 Furosemide 20 mg tablet: short fill, 3 days, 3 units" in first
    assert "RX700502 Furosemide 20 mg tablet: full fill, 31 days" in (
        medsync("worklist", "--date", "2026-12-06")
    )
    warfarin = medsync("worklist", "--date", "2026-12-15")
    assert "[ ] RX700501 Warfarin 5 mg tablet: short fill, 22 days, 22 units" in warfarin
    html = client.get("/inbox/worklist?date=2026-12-15").text
    assert "Sync visit" in html and "first synced pickup Sat Jan 09" in html
    assert "short fill: 22 days, 22 units" in html
    # Every day from Nov 29 to Jan 12: the three visits, then the new synced pickup; the
    # Dec 20 pickup of the old day is gone.
    trips = {
        day: sorted({t for t, _ in rows}) for day, rows in visits_listed(PREP_DAYS_TO_JAN).items()
    }
    assert trips == {
        "2026-12-03": ["sync visit"],
        "2026-12-06": ["sync visit"],
        "2026-12-15": ["sync visit"],
        "2027-01-06": ["synced pickup"],
    }

    # Once the new synced pickup is a pickup cycle behind her (the scheduler moved her on to
    # Feb 9), the plan's trips are not visits any more, even on a list printed again.
    from store.dispensing import CycleState, PickupCycle

    with transaction(cli.sessions) as session:
        session.add(
            PickupCycle(
                patient_id=dorothy,
                anchor_date=DOROTHY_SYNCED,
                state=CycleState.OPEN.value,
                updated_at=NOW,
            )
        )
        session.scalars(select(Enrollment)).one().next_anchor_date = dt.date(2027, 2, 9)
    assert visits_listed([dt.date(2026, 12, 3), dt.date(2026, 12, 15), dt.date(2027, 1, 6)]) == {}


@pytest.mark.parametrize(
    "planned_on",
    [
        None,  # set before planned_on was recorded: as before, no visits past a cycle
        dt.date(2026, 11, 5),  # chose the 9th on Nov 5: the cycle of Nov 9 is behind her
    ],
)
def test_a_settled_patient_whose_day_did_not_change_gets_no_visits(
    cli: Inbox, planned_on: dt.date | None
) -> None:
    """Dorothy in sync on the 9th (the pickup of Nov 9 behind her): her plan as of today would
    have short fills before Dec 9, but she is in sync, so only her pickups are listed."""
    settle_dorothy(cli, 9, planned_on=planned_on)
    # (Her warfarin has supply past Dec 9: nothing of it is due on that pickup.)
    assert visits_listed(PREP_DAYS_TO_JAN) == {
        "2026-12-06": [("synced pickup", "RX700502"), ("synced pickup", "RX700503")],
    }


def test_a_patient_who_enrolls_again_gets_the_visits(cli: Inbox) -> None:
    """Dorothy left in the summer (her last pickup cycle Jun 9) and chose the 9th again by text
    on Nov 29 (the dialog's effect); approved in the inbox, her new plan's visits are listed."""
    from bot.conversation.effects import apply_effects
    from dialogs.turn import SetEnrollment
    from store.models import Patient, Pharmacy

    dorothy = settle_dorothy(
        cli,
        9,
        planned_on=dt.date(2026, 3, 2),
        status=EnrollmentStatus.DISENROLLED,
        cycle_on=dt.date(2026, 6, 9),
    )
    with transaction(cli.sessions) as session:
        pharmacy = session.get(Pharmacy, cli.ids["main"])
        patient = session.get(Patient, dorothy)
        assert pharmacy is not None and patient is not None
        effect = SetEnrollment(dorothy, "pending_review", 9, DOROTHY_SYNCED)
        apply_effects(session, pharmacy, [patient], [effect], None, patient.phone, NOW)
        item = ReviewItem(
            pharmacy_id=pharmacy.id,
            patient_id=dorothy,
            phone=patient.phone,
            kind=ReviewKind.NEW_ENROLLMENT,
            status=ReviewStatus.PENDING,
            priority=1,
            summary="New enrollment: pickup day 9, first synced pickup Jan 09, 2027.",
            details={"anchor_day": 9, "first_pickup": DOROTHY_SYNCED.isoformat()},
            created_at=NOW,
        )
        session.add(item)
        session.flush()
        item_id = item.id
    assert visits_listed([dt.date(2026, 12, 3)]) == {}  # not active until approved
    client = cli.sign_in()
    item_page = f"/inbox/items/{item_id}"
    assert post_form(client, item_page, f"{item_page}/approve").status_code == 303
    with transaction(cli.sessions) as session:
        enrollment = session.scalars(select(Enrollment)).one()
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert (enrollment.planned_on, enrollment.next_anchor_date) == (NOW.date(), DOROTHY_SYNCED)
    assert visits_listed(PREP_DAYS_TO_JAN) == {
        "2026-12-03": [("sync visit", "RX700502"), ("sync visit", "RX700503")],
        "2026-12-06": [("sync visit", "RX700502"), ("sync visit", "RX700503")],
        "2026-12-15": [("sync visit", "RX700501")],
        "2027-01-06": [
            ("synced pickup", "RX700501"),
            ("synced pickup", "RX700502"),
            ("synced pickup", "RX700503"),
        ],
    }


def test_an_enrollment_without_planned_on_is_planned_as_before(cli: Inbox) -> None:
    """Set up before planned_on was recorded (NULL): a first cycle is planned as of
    updated_at, and any pickup cycle behind the patient means no visits."""
    enroll_dorothy(cli)  # no planned_on, updated_at Nov 29
    with transaction(cli.sessions) as session:
        assert session.scalars(select(Enrollment.planned_on)).one() is None
    assert sorted(visits_listed(PREP_DAYS_TO_JAN)) == [
        "2026-12-03",
        "2026-12-06",
        "2026-12-15",
        "2027-01-06",
    ]


@SQLITE_ONLY
def test_tick_checks_the_listed_fills(cli: Inbox) -> None:
    """bot/program/worklist_ticks.tick: with `listed`, only those prescriptions are ticked;
    an untick is never refused."""
    from bot.program import worklist_ticks
    from store.models import Pharmacy

    with transaction(cli.sessions) as session:
        patient = factories.patient(session, "P1001", cli.ids["main"])
        pharmacy = session.get(Pharmacy, cli.ids["main"])
        assert pharmacy is not None
        args = (session, pharmacy, patient)
        dates = (CHRISTMAS, dt.date(2026, 12, 24), "tom", NOW)
        with pytest.raises(worklist_ticks.WorklistError, match="not one of P1001's fills"):
            worklist_ticks.tick(*args, "RX700104", *dates, listed={"RX700101"})
        assert worklist_ticks.tick(*args, "RX700101", *dates, listed={"RX700101"})
        assert not worklist_ticks.tick(*args, "RX700104", *dates, undo=True, listed=set())
