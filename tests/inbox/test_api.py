"""The JSON API: API tokens (hashed), scope, audited reads, decisions once, OpenAPI."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.web.tokens import create_token, token_digest
from store.accounts import ApiToken, User
from store.db import transaction
from store.models import AuditEvent, Message, ReviewItem, ReviewStatus
from tests.helpers import NOW
from tests.inbox.conftest import DANA, SQLITE_ONLY, TOM, UMA, Inbox
from tests.inbox.factories import XSS, flagged_check_in, new_enrollment, patient, written_item


def token_for(inbox: Inbox, email: str = DANA, name: str = "pharmacy-system") -> str:
    with transaction(inbox.sessions) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return create_token(s, user, name, NOW)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@SQLITE_ONLY
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer msk_not-a-real-token"}, {"Authorization": "Basic YTpi"}],
)
def test_no_valid_token_is_401(inbox: Inbox, headers: dict[str, str]) -> None:
    response = inbox.client.get("/api/v1/review-items", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@SQLITE_ONLY
def test_a_browser_session_is_not_an_api_token(inbox: Inbox) -> None:
    inbox.sign_in()
    assert inbox.client.get("/api/v1/review-items").status_code == 401


def test_tokens_are_stored_hashed_and_can_be_revoked(inbox: Inbox) -> None:
    token = token_for(inbox)
    assert token.startswith("msk_") and len(token) > 40
    with transaction(inbox.sessions) as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.token_hash == token_digest(token) and token not in row.token_hash
        assert row.prefix == token[:12]
    assert inbox.client.get("/api/v1/review-items", headers=bearer(token)).status_code == 200
    with transaction(inbox.sessions) as s:
        s.scalars(select(ApiToken)).one().revoked_at = NOW
    assert inbox.client.get("/api/v1/review-items", headers=bearer(token)).status_code == 401


def test_the_list_is_the_queue_within_the_tokens_pharmacies(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        flagged = flagged_check_in(s, patient(s, "P1001"), created_at=NOW).id
        routine = new_enrollment(s, patient(s, "P1002"), created_at=NOW - dt.timedelta(hours=2)).id
        uptown = written_item(s, inbox.ids["uptown"], "uptown").id
    body = inbox.client.get("/api/v1/review-items", headers=bearer(token_for(inbox))).json()
    assert [i["id"] for i in body["items"]] == [flagged, routine]
    assert body["items"][0]["flagged"] is True
    assert body["items"][0]["patient_external_id"] == "P1001"
    assert body["next_cursor"] is None
    theirs = inbox.client.get("/api/v1/review-items", headers=bearer(token_for(inbox, UMA)))
    assert [i["id"] for i in theirs.json()["items"]] == [uptown]
    forbidden = inbox.client.get(
        f"/api/v1/review-items?pharmacy_id={inbox.ids['uptown']}", headers=bearer(token_for(inbox))
    )
    assert forbidden.status_code == 404


def test_the_list_pages_with_a_cursor(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        ids = [
            written_item(
                s, inbox.ids["main"], f"m{n}", created_at=NOW - dt.timedelta(minutes=9 - n)
            ).id
            for n in range(5)
        ]
    token = token_for(inbox)
    first = inbox.client.get("/api/v1/review-items?limit=3", headers=bearer(token)).json()
    assert [i["id"] for i in first["items"]] == ids[:3]
    rest = inbox.client.get(
        f"/api/v1/review-items?limit=3&cursor={first['next_cursor']}", headers=bearer(token)
    ).json()
    assert [i["id"] for i in rest["items"]] == ids[3:]
    bad = inbox.client.get("/api/v1/review-items?cursor=oops", headers=bearer(token))
    assert bad.status_code == 400
    assert (
        inbox.client.get("/api/v1/review-items?limit=0", headers=bearer(token)).status_code == 422
    )


def test_reading_an_item_returns_the_answers_and_is_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    response = inbox.client.get(f"/api/v1/review-items/{item_id}", headers=bearer(token_for(inbox)))
    assert response.status_code == 200
    body = response.json()
    assert body["answers"]["hospital"] == "yes"
    assert body["answers"]["anything_else"] == XSS  # JSON, not HTML: the client escapes
    assert body["flags"] == ["hospital", "anything_else"]
    assert body["check_in_anchor_date"] == "2026-12-15"
    assert body["allowed_actions"] == ["approve", "decline", "called"]
    with transaction(inbox.sessions) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "view_review_item")).one()
        assert event.actor == f"{DANA} (API token pharmacy-system)"
    missing = inbox.client.get("/api/v1/review-items/999999", headers=bearer(token_for(inbox)))
    assert missing.status_code == 404


def test_deciding_through_the_api_happens_once(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    token = token_for(inbox)
    url = f"/api/v1/review-items/{item_id}/decision"
    first = inbox.client.post(url, json={"action": "approve"}, headers=bearer(token))
    assert first.status_code == 200, first.text
    assert first.json()["item"]["status"] == "approved"
    assert first.json()["item"]["decided_by"] == "Dana Reyes (via pharmacy-system)"
    second = inbox.client.post(url, json={"action": "approve"}, headers=bearer(token))
    assert second.status_code == 409
    assert (
        second.json()["detail"] == "Already approved by Dana Reyes (via pharmacy-system) at 10:00."
    )
    with transaction(inbox.sessions) as s:
        texts = s.scalars(select(Message).where(Message.direction == "outbound")).all()
        assert len(texts) == 1
    assert inbox.jobs.sent == [texts[0].id]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"action": "decline"}, 400),  # a reason is required
        ({"action": "decline", "note": "  "}, 400),
        ({"action": "explode"}, 422),
        ({"action": "decline", "note": "x" * 5000}, 422),
        ({}, 422),
    ],
)
def test_bad_decisions_are_refused_with_a_sentence(
    inbox: Inbox, payload: dict[str, str], status: int
) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001")).id
    response = inbox.client.post(
        f"/api/v1/review-items/{item_id}/decision", json=payload, headers=bearer(token_for(inbox))
    )
    assert response.status_code == status
    with transaction(inbox.sessions) as s:
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]


@SQLITE_ONLY
def test_a_technicians_token_cannot_approve(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    response = inbox.client.post(
        f"/api/v1/review-items/{item_id}/decision",
        json={"action": "approve"},
        headers=bearer(token_for(inbox, TOM)),
    )
    assert response.status_code == 403


def test_enrollment_status_by_patient(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        flagged_check_in(s, margaret)
        margaret_id = margaret.id
    token = token_for(inbox)
    found = inbox.client.get("/api/v1/patients?external_id=P1001", headers=bearer(token)).json()
    assert found == [
        {
            "patient_id": margaret_id,
            "pharmacy_id": inbox.ids["main"],
            "external_id": "P1001",
            "opted_out": False,
            "enrollment_status": "active",
            "anchor_day": 15,
            "cycle": "monthly",
            "next_anchor_date": "2026-12-15",
        }
    ]
    one = inbox.client.get(f"/api/v1/patients/{margaret_id}", headers=bearer(token)).json()
    assert one == found[0]
    never = inbox.client.get("/api/v1/patients?external_id=P1004", headers=bearer(token)).json()
    assert never[0]["enrollment_status"] is None
    other = inbox.client.get(f"/api/v1/patients/{inbox.ids['una']}", headers=bearer(token))
    assert other.status_code == 404
    assert (
        inbox.client.get("/api/v1/patients?external_id=U9001", headers=bearer(token)).json() == []
    )


@SQLITE_ONLY
def test_the_api_is_described_in_the_openapi_document(inbox: Inbox) -> None:
    document = inbox.client.get("/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/review-items",
        "/api/v1/review-items/{item_id}",
        "/api/v1/review-items/{item_id}/decision",
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}",
    ):
        assert path in paths, path
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert not any(p.startswith(("/inbox", "/login", "/patients")) for p in paths)


def test_an_odd_patient_id_is_an_empty_answer(inbox: Inbox) -> None:
    token = token_for(inbox)
    response = inbox.client.get("/api/v1/patients?external_id=P%00", headers=bearer(token))
    assert response.status_code == 200 and response.json() == []
