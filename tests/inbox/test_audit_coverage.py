"""Issue 17, findings "gaps in what is audited" and "no Cache-Control, patient names in
flash messages": every view of patient data and every refused attempt writes one row; /audit
filters by who, patient, kind and outcome and exports CSV; nothing is cached; the readable
session cookie carries no patient data."""

from __future__ import annotations

import base64
import csv
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.program import households
from bot.web.tokens import create_token
from store.accounts import User
from store.db import transaction
from store.models import AuditEvent
from tests.helpers import NOW
from tests.inbox import factories
from tests.inbox.conftest import ADA, DANA, SQLITE_ONLY, UMA, Inbox, post_form, sign_in


def _rows(inbox: Inbox, **where: object) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    with transaction(inbox.sessions) as s:
        return list(s.scalars(query))


def _token(inbox: Inbox, email: str) -> dict[str, str]:
    with transaction(inbox.sessions) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return {"Authorization": f"Bearer {create_token(s, user, 'system', NOW)[1]}"}


def test_viewing_the_queue_is_audited_with_every_patient_listed(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        first = factories.flagged_check_in(s, factories.patient(s, "P1001"))
        second = factories.new_enrollment(s, factories.patient(s, "P1002"))
        listed = {first.patient_id, second.patient_id}
    inbox.sign_in(DANA)
    assert inbox.client.get("/inbox").status_code == 200
    (row,) = _rows(inbox, action="view_queue")
    assert (row.actor, row.chain, row.outcome) == (DANA, inbox.ids["main"], "ok")
    assert set(map(int, (row.patients or "").split())) == listed
    assert set(row.after["items"]) == {first.id, second.id}  # type: ignore[index]


def test_listing_items_over_the_api_is_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item = factories.flagged_check_in(s, factories.patient(s, "P1001"))
    answer = inbox.client.get("/api/v1/review-items", headers=_token(inbox, DANA))
    assert answer.status_code == 200
    (row,) = _rows(inbox, action="list_review_items")
    assert row.actor == f"{DANA} (API token system)"
    assert row.patients == f" {item.patient_id} " and row.after["items"] == [item.id]  # type: ignore[index]


@SQLITE_ONLY
def test_household_members_shown_on_a_patient_page_are_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        robert, linda = factories.patient(s, "P1011"), factories.patient(s, "P1012")
        households.link(s, [robert, linda], "staff:test", NOW)
        robert_id, linda_id = robert.id, linda.id
    inbox.sign_in(DANA)
    assert inbox.client.get(f"/patients/{robert_id}").status_code == 200
    (row,) = _rows(inbox, action="view_patient")
    assert row.subject == f"patient:{robert_id}"
    assert {robert_id, linda_id} <= set(map(int, (row.patients or "").split()))
    # Linda's accounting of who saw her data finds Robert's page.
    admin = inbox.new_client()
    sign_in(admin, ADA)
    found = admin.get(f"/audit?patient={linda_id}&kind=view_patient")
    assert [r["event"].id for r in found.context["rows"]] == [row.id]  # type: ignore[attr-defined]
    by_pharmacy_id = admin.get("/audit?patient=P1012&kind=view_patient")
    assert [r["event"].id for r in by_pharmacy_id.context["rows"]] == [row.id]  # type: ignore[attr-defined]


def test_a_refused_attempt_on_another_pharmacys_patient_is_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = factories.patient(s, "P1001").id
        item = factories.flagged_check_in(s, factories.patient(s, "P1001")).id
    uma = inbox.sign_in(UMA)  # a pharmacist at Uptown only
    assert uma.get(f"/patients/{margaret}").status_code == 404
    assert uma.get(f"/inbox/items/{item}").status_code == 404
    assert post_form(uma, "/inbox", f"/inbox/items/{item}/approve").status_code == 404
    api = uma.get(f"/api/v1/patients/{margaret}", headers=_token(inbox, UMA))
    assert api.status_code == 404
    rows = _rows(inbox, outcome="not_found")
    assert [(r.action, r.subject) for r in rows] == [
        ("show_patient", f"patient:{margaret}"),
        ("show_item", f"review_item:{item}"),
        ("approve", f"review_item:{item}"),
        ("read_patient", f"patient:{margaret}"),
    ]
    # In Main Street's chain, where Margaret's records are: her pharmacy sees who tried.
    assert {r.chain for r in rows} == {inbox.ids["main"]}
    assert rows[0].after == {"status": 404, "method": "GET", "path": f"/patients/{margaret}"}
    assert rows[0].patients == f" {margaret} "
    # A missing record is audited the same way (it reads the same to the person asking).
    assert uma.get("/patients/2000000000").status_code == 404
    assert _rows(inbox, subject="patient:2000000000")[0].outcome == "not_found"


@SQLITE_ONLY
def test_the_audit_page_filters_by_who_patient_kind_and_outcome_and_exports_csv(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        margaret = factories.patient(s, "P1001").id
    dana = inbox.sign_in(DANA)
    dana.get(f"/patients/{margaret}")
    uma = inbox.new_client()
    sign_in(uma, UMA)
    uma.get(f"/patients/{margaret}")
    with transaction(inbox.sessions) as s:  # a formula typed where a name goes
        s.add(AuditEvent(actor="=HYPERLINK(1)", action="x", subject="y", created_at=NOW))
    admin = inbox.new_client()
    sign_in(admin, ADA)

    def shown(query: str) -> list[tuple[str, str, str]]:
        page = admin.get(f"/audit?{query}")
        assert page.status_code == 200
        return [
            (r["event"].actor, r["event"].action, r["event"].outcome) for r in page.context["rows"]
        ]  # type: ignore[attr-defined]

    assert shown(f"patient={margaret}") == [
        (UMA, "show_patient", "not_found"),
        (DANA, "view_patient", "ok"),
    ]
    assert shown("outcome=not_found") == [(UMA, "show_patient", "not_found")]
    assert shown(f"who={DANA}&kind=view_patient") == [(DANA, "view_patient", "ok")]
    assert shown("patient=P9999") == []
    assert shown(f"pharmacy={inbox.ids['uptown']}") == []
    assert shown("outcome=nonsense&kind=%00")  # odd filters are ignored, not errors
    export = admin.get(f"/audit.csv?patient={margaret}")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["Cache-Control"] == "no-store"
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["who"], r["kind"], r["outcome"]) for r in lines] == [
        (UMA, "show_patient", "not_found"),
        (DANA, "view_patient", "ok"),
    ]
    assert all(len(r["hash"]) == 64 for r in lines)
    everything = admin.get("/audit.csv").text
    assert "'=HYPERLINK(1)" in everything  # not a formula in a spreadsheet
    exported = [r.after for r in _rows(inbox, action="export_audit", actor=ADA)]
    assert exported[0] == {"patient": str(margaret), "rows": 2}


@SQLITE_ONLY
def test_no_store_on_every_page_and_api_answer_with_patient_data(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = factories.patient(s, "P1001").id
        item = factories.flagged_check_in(s, factories.patient(s, "P1001")).id
    client = inbox.sign_in(DANA)
    api = _token(inbox, DANA)
    for path, headers in (
        ("/inbox", {}),
        (f"/inbox/items/{item}", {}),
        (f"/patients/{margaret}", {}),
        ("/patients/123456", {}),  # a 404 page
        ("/inbox/reports", {}),
        ("/inbox/reports/funnel.csv", {}),
        ("/api/v1/review-items", api),
        (f"/api/v1/review-items/{item}", api),
        (f"/api/v1/patients/{margaret}", api),
        ("/api/v1/patients?external_id=P1001", api),
        ("/api/v1/review-items", {}),  # 401
    ):
        answer = client.get(path, headers=headers)
        assert answer.headers.get("Cache-Control") == "no-store", path
    assert "no-store" not in inbox.client.get("/static/inbox/inbox.css").headers.get(
        "Cache-Control", ""
    )


def _cookie_text(client: TestClient) -> str:
    """What anyone holding the browser can read in the session cookie (signed, not
    encrypted: base64 JSON before the first dot)."""
    raw = client.cookies.get("medsync_session") or ""
    data = raw.split(".", 1)[0]
    return base64.b64decode(data + "=" * (-len(data) % 4)).decode()


@SQLITE_ONLY
def test_flash_messages_carry_no_patient_data(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        robert, linda = factories.patient(s, "P1011"), factories.patient(s, "P1012")
        margaret = factories.patient(s, "P1001")
        enrollment = factories.new_enrollment(s, margaret)
        names = {p.first_name for p in (robert, linda, margaret)} | {
            p.last_name for p in (robert, linda, margaret)
        }
        phones = {p.phone[-7:] for p in (robert, linda, margaret)} | {"5550199"}
        ids = {p.external_id for p in (robert, linda, margaret)}
        robert_id, margaret_id, item_id = robert.id, margaret.id, enrollment.id
    client = inbox.sign_in(DANA)
    robert_page, margaret_page = f"/patients/{robert_id}", f"/patients/{margaret_id}"
    item_page = f"/inbox/items/{item_id}"
    for page, action, form in (
        (robert_page, f"{robert_page}/household/link", {"other": "P1012"}),
        (robert_page, f"{robert_page}/household/unlink", {}),
        (
            margaret_page,
            f"{margaret_page}/caregivers",
            {"phone": "(617) 555-0199", "permission": "yes"},
        ),
        (margaret_page, f"{margaret_page}/preferences", {"detailed": "yes", "time": "morning"}),
        (margaret_page, f"{margaret_page}/anchor-day", {"day": "40"}),
        (item_page, f"{item_page}/approve", {}),
    ):
        response = post_form(client, page, action, **form)
        assert response.status_code == 303, action
        carried = json.loads(_cookie_text(client))
        notices = " ".join(f["text"] for f in carried.get("flash", []))
        assert notices, action  # something was said ...
        leaked = [w for w in names | phones | ids if w in notices]
        assert leaked == [], (action, notices)  # ... and it names no one
        client.get(page)  # the page shows (and drops) the notice


@SQLITE_ONLY
def test_worklist_notices_carry_no_patient_or_prescription_ids(inbox: Inbox) -> None:
    from tests.inbox.test_worklist import CHRISTMAS, PREP, enroll

    enroll(inbox, "P1001", CHRISTMAS)
    client = inbox.sign_in(DANA)
    page = f"/inbox/worklist?date={PREP.isoformat()}"
    for rx in ("RX999", "RX700102", "RX700102"):  # unknown; ticked; ticked again (no change)
        response = post_form(
            client, page, "/inbox/worklist/tick",
            pharmacy=str(inbox.ids["main"]), date=PREP.isoformat(), patient="P1001",
            rx_number=rx,
        )  # fmt: skip
        assert response.status_code == 303
        notices = " ".join(f["text"] for f in json.loads(_cookie_text(client)).get("flash", []))
        assert "P1001" not in notices and "RX" not in notices, notices
        client.get(page)
