"""Signing in: argon2 hashes, signed HttpOnly SameSite cookies, server-side sessions that
sign-out ends, a lockout after repeated failures, and /login for anyone anonymous."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.web.app import create_app
from store.accounts import StaffSession, User
from store.db import transaction
from store.models import AuditEvent
from tests.helpers import NOW
from tests.inbox.conftest import DANA, SQLITE_ONLY, Inbox, csrf_from, settings_for
from tests.inbox.factories import PASSWORD, flagged_check_in, patient


def _try(client: TestClient, email: str, password: str, next_path: str = "/inbox"):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": next_path},
        follow_redirects=False,
    )


@SQLITE_ONLY
@pytest.mark.parametrize(
    "path", ["/inbox", "/inbox/items/1", "/patients/1", "/audit", "/inbox?kind=call_back"]
)
def test_anonymous_pages_send_the_browser_to_login(inbox: Inbox, path: str) -> None:
    response = inbox.client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/")
    assert response.headers["location"].split("next=", 1)[1].startswith(path.split("?")[0])


def test_anonymous_actions_change_nothing(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    token = csrf_from(inbox.client.get("/login").text)
    response = inbox.client.post(
        f"/inbox/items/{item_id}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    with transaction(inbox.sessions) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert inbox.jobs.sent == []


@SQLITE_ONLY
def test_sign_in_sets_a_signed_httponly_samesite_secure_cookie(inbox: Inbox) -> None:
    response = _try(inbox.client, DANA, PASSWORD)
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    cookie = next(c for c in cookies if c.startswith("medsync_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" in flags  # the public URL is https
    page = inbox.client.get("/inbox")
    assert page.status_code == 200 and "Dana Reyes" in page.text


@SQLITE_ONLY
def test_cookie_is_not_secure_when_the_public_url_is_plain_http(db_url: str) -> None:
    settings = settings_for(db_url).model_copy(update={"public_url": "http://127.0.0.1:8000"})
    client = TestClient(create_app(settings, clock=FrozenClock(NOW)))
    cookie = client.get("/login").headers["set-cookie"]
    assert "secure" not in {p.strip().lower() for p in cookie.split(";")}


@SQLITE_ONLY
def test_a_tampered_cookie_is_not_a_session(inbox: Inbox) -> None:
    inbox.sign_in()
    value = inbox.client.cookies.get("medsync_session")
    assert value
    other = inbox.new_client()
    other.cookies.set("medsync_session", value)
    assert other.get("/inbox", follow_redirects=False).status_code == 200
    forged = inbox.new_client()
    forged.cookies.set(
        "medsync_session", value[:-6] + ("AAAAAA" if value[-6:] != "AAAAAA" else "BBBBBB")
    )
    assert forged.get("/inbox", follow_redirects=False).status_code == 303


def test_passwords_are_stored_as_argon2id_hashes(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        user = s.scalar(select(User).where(User.email == DANA))
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("email", "password"),
    [(DANA, "wrong password here"), ("nobody@example.org", PASSWORD), (DANA, ""), ("", "")],
)
@SQLITE_ONLY
def test_a_wrong_sign_in_says_the_same_thing_and_keeps_you_out(
    inbox: Inbox, email: str, password: str
) -> None:
    response = _try(inbox.client, email, password)
    assert response.status_code == 401
    assert "do not match an account" in response.text or "Enter your email" in response.text
    assert inbox.client.get("/inbox", follow_redirects=False).status_code == 303


@SQLITE_ONLY
def test_email_is_case_and_space_insensitive(inbox: Inbox) -> None:
    assert _try(inbox.client, "  Dana@Example.ORG ", PASSWORD).status_code == 303


def test_sign_out_ends_the_session_even_for_a_copied_cookie(inbox: Inbox) -> None:
    inbox.sign_in()
    copied = inbox.client.cookies.get("medsync_session")
    thief = inbox.new_client()
    thief.cookies.set("medsync_session", copied or "")
    assert thief.get("/inbox", follow_redirects=False).status_code == 200
    page = inbox.client.get("/inbox")
    response = inbox.client.post(
        "/logout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert inbox.client.get("/inbox", follow_redirects=False).status_code == 303
    assert thief.get("/inbox", follow_redirects=False).status_code == 303
    with transaction(inbox.sessions) as s:
        assert s.scalars(select(StaffSession.ended_at)).one() == NOW
        assert "sign_out" in s.scalars(select(AuditEvent.action)).all()


@SQLITE_ONLY
def test_sign_out_needs_the_csrf_token(inbox: Inbox) -> None:
    inbox.sign_in()
    response = inbox.client.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert inbox.client.get("/inbox").status_code == 200


def test_a_disabled_account_is_signed_out_at_once(inbox: Inbox) -> None:
    inbox.sign_in()
    with transaction(inbox.sessions) as s:
        user = s.scalar(select(User).where(User.email == DANA))
        assert user is not None
        user.active = False
    assert inbox.client.get("/inbox", follow_redirects=False).status_code == 303
    assert _try(inbox.new_client(), DANA, PASSWORD).status_code == 401


@SQLITE_ONLY
def test_sign_in_without_the_form_token_is_refused(inbox: Inbox) -> None:
    response = inbox.client.post(
        "/login", data={"email": DANA, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "expired" in response.text
    assert inbox.client.get("/inbox", follow_redirects=False).status_code == 303


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("/inbox/items/7", "/inbox/items/7"),
        ("//evil.example/phish", "/inbox"),
        ("https://evil.example/", "/inbox"),
        ("/\\evil.example", "/inbox"),
    ],
)
def test_after_sign_in_only_local_pages(inbox: Inbox, asked: str, lands: str) -> None:
    response = _try(inbox.client, DANA, PASSWORD, next_path=asked)
    assert response.headers["location"] == lands


@SQLITE_ONLY
def test_a_new_session_id_and_csrf_token_at_sign_in(inbox: Inbox) -> None:
    before = csrf_from(inbox.client.get("/login").text)
    inbox.sign_in()
    after = csrf_from(inbox.client.get("/inbox").text)
    assert before != after


@SQLITE_ONLY
def test_signed_in_users_skip_the_login_page(inbox: Inbox) -> None:
    inbox.sign_in()
    response = inbox.client.get("/login?next=/audit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/audit"


@SQLITE_ONLY
def test_login_page_works_without_a_secret_key(db_url: str) -> None:
    settings = settings_for(db_url).model_copy(update={"secret_key": ""})
    client = TestClient(create_app(settings, clock=FrozenClock(NOW)), base_url="https://testserver")
    assert client.get("/login").status_code == 200


def test_sign_in_is_audited(inbox: Inbox) -> None:
    inbox.sign_in()
    with transaction(inbox.sessions) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).one()
        assert event.actor == DANA and event.subject == f"user:{inbox.ids['dana']}"
        assert event.created_at == NOW


def test_a_nul_character_in_the_form_is_a_wrong_sign_in_not_an_error(inbox: Inbox) -> None:
    assert _try(inbox.client, "dana\x00@example.org", "x\x00y").status_code == 401
