"""An item and a patient page: what they show, what they hide, escaping, audit, scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.db import transaction
from store.models import AuditEvent, Channel, ConsentEvent, ConsentKind, ReviewKind
from tests.helpers import NOW
from tests.inbox.conftest import SQLITE_ONLY, UMA, Inbox, sign_in
from tests.inbox.factories import XSS, flagged_check_in, new_enrollment, patient, written_item


def test_a_flagged_check_in_shows_patient_answers_plan_and_thread(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = flagged_check_in(s, margaret).id
        written_item(s, inbox.ids["main"], "I was in the hospital last week", person=margaret)
    inbox.sign_in()
    response = inbox.client.get(f"/inbox/items/{item_id}")
    assert response.status_code == 200
    html = response.text
    assert "Margaret Okafor" in html and "P1001" in html
    assert 'age <span class="age">78</span>' in html  # on Nov 29, 2026, born Mar 12, 1948
    assert "English" in html
    assert "(•••) •••-0123" in html and "555-0123" not in html and "5550123" not in html
    # The questions in English, with the answers and the ones that hold the fill.
    assert "stayed in a hospital or gone to an emergency room" in html
    assert "Holds the fill" in html
    assert "I was in the hospital last week" in html  # the thread
    # The sync plan: reconciliation, the anchor, short fills, renewals.
    plan = response.context["plan"]  # type: ignore[attr-defined]
    assert plan.available and plan.anchor_day == 15
    assert "Albuterol HFA inhaler 90 mcg" in html and "Not synced" in html
    assert "Short fills" in html and plan.short_fills
    assert "Renewals due" in html and plan.renewals
    assert "Pickup day: the 15th" in html
    answers = response.context["answers"]  # type: ignore[attr-defined]
    assert [a.flagged for a in answers] == [True, False, False, True, False]


@SQLITE_ONLY
def test_patient_written_text_is_escaped_everywhere(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        check_in = flagged_check_in(s, margaret).id
        message = written_item(s, inbox.ids["main"], XSS, person=margaret).id
        stranger = written_item(
            s, inbox.ids["main"], XSS, kind=ReviewKind.UNKNOWN_SENDER, phone="+19175550111"
        ).id
        s.add(
            ConsentEvent(
                patient_id=margaret.id,
                kind=ConsentKind.ENROLLMENT_ACCEPTED,
                channel=Channel.SMS,
                wording=XSS,
                language="en",
                created_at=NOW,
            )
        )
    inbox.sign_in()
    pages = [
        inbox.client.get(f"/inbox/items/{check_in}").text,
        inbox.client.get(f"/inbox/items/{message}").text,
        inbox.client.get(f"/inbox/items/{stranger}").text,
        inbox.client.get(f"/patients/{inbox_patient_id(inbox, 'P1001')}").text,
    ]
    for html in pages:
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def inbox_patient_id(inbox: Inbox, external_id: str) -> int:
    with transaction(inbox.sessions) as s:
        return patient(s, external_id).id


def test_every_view_of_answers_is_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    inbox.sign_in()
    inbox.client.get(f"/inbox/items/{item_id}")
    inbox.client.get(f"/patients/{inbox_patient_id(inbox, 'P1001')}")
    with transaction(inbox.sessions) as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action.like("view%"))).all()
        assert [(v.actor, v.action) for v in views] == [
            ("dana@example.org", "view_review_item"),
            ("dana@example.org", "view_patient"),
        ]
        assert views[0].subject == f"review_item:{item_id}"


@pytest.mark.parametrize("path", ["/inbox/items/{item}", "/patients/{patient}"])
def test_another_pharmacys_records_do_not_exist_for_you(inbox: Inbox, path: str) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "U9001")).id
    inbox.sign_in()
    url = path.format(item=item_id, patient=inbox.ids["una"])
    response = inbox.client.get(url)
    assert response.status_code == 404
    assert "Una" not in response.text
    uma = inbox.new_client()
    sign_in(uma, UMA)
    assert uma.get(url).status_code == 200


@SQLITE_ONLY
@pytest.mark.parametrize(
    "path", ["/inbox/items/abc", "/inbox/items/99999", "/patients/-1", "/patients/1e9"]
)
def test_odd_addresses_get_a_sentence(inbox: Inbox, path: str) -> None:
    inbox.sign_in()
    response = inbox.client.get(path)
    assert response.status_code == 404
    assert "Not found" in response.text


@SQLITE_ONLY
def test_an_enrollment_item_offers_approve_decline_and_the_day(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1002")).id
    inbox.sign_in()
    response = inbox.client.get(f"/inbox/items/{item_id}")
    assert response.context["actions"] == (  # type: ignore[attr-defined]
        "approve",
        "decline",
        "anchor_day",
        "called",
        "reply",
    )
    assert "Approve enrollment" in response.text and 'name="day"' in response.text
    assert "Spanish" in response.text


@SQLITE_ONLY
def test_a_technician_sees_no_approve_button(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    inbox.sign_in("tom@example.org")
    html = inbox.client.get(f"/inbox/items/{item_id}").text
    assert f"/inbox/items/{item_id}/approve" not in html
    assert "Only a pharmacist can approve" in html
    assert f"/inbox/items/{item_id}/reply" in html


def test_the_patient_page_shows_medicines_enrollment_consents_check_ins_messages(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        flagged_check_in(s, margaret)
        written_item(s, inbox.ids["main"], "see you on the 15th", person=margaret)
        s.add(
            ConsentEvent(
                patient_id=margaret.id,
                kind=ConsentKind.ENROLLMENT_ACCEPTED,
                channel=Channel.SMS,
                wording="yes please",
                language="en",
                created_at=NOW,
            )
        )
        patient_id = margaret.id
    inbox.sign_in()
    html = inbox.client.get(f"/patients/{patient_id}").text
    for expected in (
        "Lisinopril 10 mg tablet",  # medicines
        "Prescriptions on file",
        "day 15 of each month",  # enrollment and pickup day
        "Enrollment accepted",  # consents
        "yes please",
        "Pickup Tue Dec 15, 2026",  # check-ins
        "see you on the 15th",  # messages
        "Flagged check-in #",  # review items
    ):
        assert expected in html, expected


@SQLITE_ONLY
def test_pages_forbid_inline_scripts_framing_and_caching(inbox: Inbox) -> None:
    inbox.sign_in()
    response = inbox.client.get("/inbox")
    policy = response.headers["content-security-policy"]
    # Scripts from our own files only (vendored htmx, inbox.js): never inline, never eval.
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert "default-src 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert inbox.client.get("/static/inbox/inbox.css").status_code == 200
