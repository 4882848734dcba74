"""`POST /api/v1/dispensing-events` (issue 16) on SQLite and PostgreSQL: the dispensing:write
scope, a batch with one result per event, idempotent by event id, bad events named and the
rest kept, audited, in the OpenAPI; and what the patient page shows of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import transaction
from store.dispensing import CycleState, PickupCycle
from store.fills import Fill
from store.models import AuditEvent, Prescription
from tests.inbox.conftest import DANA, SQLITE_ONLY, Inbox
from tests.inbox.factories import patient

URL = "/api/v1/dispensing-events"


def token(*scopes: str, user: str = DANA) -> dict[str, str]:
    options = [part for s in scopes for part in ("--scope", s)]
    result = CliRunner().invoke(
        main, ["token", "create", "--user", user, "--name", "pharmacy-system", *options]
    )
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


def event(event_id: str, kind: str, **values: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event": kind,
        "patient_id": "P1001",
        "rx_number": "RX700101",
        "fill_date": "2026-11-12",
        **values,
    }


def test_a_batch_gets_one_answer_per_event_and_a_repeat_changes_nothing(cli: Inbox) -> None:
    batch = {
        "events": [
            event("E1", "dispensed", days_supply=30, quantity="30"),
            event("E2", "picked_up", event_date="2026-11-15"),
            event("E3", "dispensed", patient_id="P9999", days_supply=30, quantity=30),
            event("E4", "dispensed", rx_number="RX999", days_supply=30, quantity=30),
            event("E5", "dispensed", fill_date="2026-11-40", days_supply="thirty", quantity=30),
            event("E6", "handed_out"),
        ]
    }
    refused = cli.client.post(URL, json=batch, headers=token("items:read"))
    assert refused.status_code == 403 and "dispensing:write" in refused.json()["detail"]
    writer = token("dispensing:write")
    answer = cli.client.post(URL, json=batch, headers=writer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["recorded"], body["unchanged"], body["rejected"]) == (2, 0, 4)
    assert body["fills_created"] == 1
    results = body["results"]
    assert [r["status"] for r in results] == ["recorded"] * 2 + ["rejected"] * 4
    assert [r["index"] for r in results] == list(range(6))
    assert results[2]["reason"] == (
        "patient_id 'P9999' is not a patient of Main Street Pharmacy "
        "(import the patients' export first)"
    )
    assert results[3]["reason"].startswith("rx_number 'RX999' is not a prescription of")
    assert results[4]["reason"] == (
        "fill_date '2026-11-40' is not a date (expected YYYY-MM-DD); "
        "days_supply 'thirty' is not a number"
    )
    assert results[5]["reason"] == (
        "event 'handed_out' is not one of dispensed, picked_up, returned_to_stock, reversed"
    )
    again = cli.client.post(URL, json={"events": batch["events"][:2]}, headers=writer).json()
    assert [r["status"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert again["fills_created"] == again["fills_updated"] == 0
    changed = cli.client.post(
        URL, json={"events": [event("E2", "picked_up", event_date="2026-11-16")]}, headers=writer
    ).json()
    assert changed["results"][0]["status"] == "rejected"
    assert "event_id 'E2' was recorded before with other content" in changed["results"][0]["reason"]
    with transaction(cli.sessions) as s:
        on_the_day = (Fill.fill_date == dt.date(2026, 11, 12), Fill.rx_number == "RX700101")
        (fill,) = s.scalars(select(Fill).where(*on_the_day)).all()
        assert (fill.state, fill.picked_up_on) == ("picked_up", dt.date(2026, 11, 15))
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action == "dispensing_events")).all()
        assert len(audits) == 3 and "API token pharmacy-system" in audits[0].actor
        assert audits[0].after is not None and audits[0].after["rejected"] == 4


def test_a_batch_must_be_one_to_a_thousand_events_for_one_pharmacy(cli: Inbox) -> None:
    writer = token("dispensing:write")
    assert cli.client.post(URL, json={"events": []}, headers=writer).status_code == 422
    many = {"events": [event(f"E{n}", "dispensed") for n in range(1001)]}
    assert cli.client.post(URL, json=many, headers=writer).status_code == 422
    admin = token("dispensing:write", user="ada@example.org")
    several = cli.client.post(URL, json={"events": [event("A1", "dispensed")]}, headers=admin)
    assert several.status_code == 422 and "pharmacy_id" in several.json()["detail"]
    other = cli.client.post(
        URL, json={"pharmacy_id": cli.ids["uptown"], "events": [event("A1", "dispensed")]},
        headers=writer,
    )  # fmt: skip
    assert other.status_code == 404


@SQLITE_ONLY
def test_the_route_is_in_the_openapi_document(inbox: Inbox) -> None:
    document = inbox.client.get("/openapi.json").json()
    route = document["paths"][URL]["post"]
    assert "dispensing" in route["summary"].lower() or "dispensing" in route["description"]
    schemas = document["components"]["schemas"]
    assert {"DispensingBatch", "DispensingEventIn", "DispensingResult"} <= set(schemas)
    assert "event_id" in schemas["DispensingEventIn"]["required"]


@SQLITE_ONLY
def test_the_patient_page_shows_status_and_pickups(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        rx = s.scalars(
            select(Prescription).where(
                Prescription.patient_id == margaret.id, Prescription.rx_number == "RX700102"
            )
        ).one()
        rx.status, rx.status_changed_at = "transferred", inbox.clock.now()
        s.add(
            PickupCycle(
                patient_id=margaret.id,
                anchor_date=dt.date(2026, 11, 15),
                state=CycleState.NOT_PICKED_UP.value,
                judged_at=inbox.clock.now(),
                updated_at=inbox.clock.now(),
            )
        )
        margaret_id = margaret.id
    page = inbox.sign_in().get(f"/patients/{margaret_id}").text
    assert "transferred" in page and "out of the sync plan" in page
    assert "Pickups" in page and "not picked up" in page


def test_odd_ids_are_answered_never_a_server_error(cli: Inbox) -> None:
    writer = token("dispensing:write")
    batch = {
        "events": [
            event("N1", "dispensed", patient_id="P1\u0000", days_supply=30, quantity=30),
            event("   ", "dispensed", days_supply=30, quantity=30),
            event("N3", "dispensed", days_supply="1e400", quantity="NaN"),
        ]
    }
    answer = cli.client.post(URL, json=batch, headers=writer)
    assert answer.status_code == 200, answer.text
    reasons = [r["reason"] for r in answer.json()["results"]]
    assert reasons[0] == "an id contains a NUL character"
    assert reasons[1] == "event_id is blank"
    assert "days_supply" in reasons[2] and "quantity 'NaN' is not a number" in reasons[2]


def test_a_fill_dated_after_today_is_rejected_and_the_others_kept(cli: Inbox) -> None:
    """QA: the export refused a last fill dated after today, the API kept one (2027 typed for
    2026). Today is the pharmacy's: Nov 29 in New York (tests/helpers.py NOW); a fill dated
    today is kept. The batch is answered 200 with the bad event named, never a 500."""
    writer = token("dispensing:write")
    batch = {
        "events": [
            event("F1", "dispensed", fill_date="2027-11-20", days_supply=30, quantity=30),
            event("F2", "dispensed", fill_date="2026-11-29", days_supply=30, quantity=30),
            event("F3", "picked_up", fill_date="2026-11-30", event_date="2026-11-30"),
            # A past fill picked up "in 2027": the pickup's own date is the typo.
            event("F4", "picked_up", fill_date="2026-11-29", event_date="2027-11-29"),
        ]
    }
    answer = cli.client.post(URL, json=batch, headers=writer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["recorded"], body["rejected"], body["fills_created"]) == (1, 3, 1)
    assert [r["status"] for r in body["results"]] == [
        "rejected",
        "recorded",
        "rejected",
        "rejected",
    ]
    assert body["results"][3]["reason"].startswith(
        "event_date '2027-11-29' is after today (2026-11-29)"
    )
    assert body["results"][0]["reason"] == (
        "fill_date '2027-11-20' is after today (2026-11-29): a fill cannot be in the future "
        "(a typo in the year?)"
    )
    assert body["results"][2]["reason"].startswith(
        "fill_date '2026-11-30' is after today (2026-11-29)"
    )
    with transaction(cli.sessions) as s:
        dates = set(s.scalars(select(Fill.fill_date).where(Fill.rx_number == "RX700101")))
        assert dt.date(2026, 11, 29) in dates
        assert not {dt.date(2027, 11, 20), dt.date(2026, 11, 30)} & dates
