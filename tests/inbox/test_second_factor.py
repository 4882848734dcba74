"""The optional TOTP second factor (issue 17): enrolment shown once and confirmed by a code,
the code asked at sign-in, never accepted twice, an admin's reset, and the setting that makes
it required for admins."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.web.app import create_app
from store.accounts import User
from store.db import transaction
from store.models import AuditEvent
from tests.helpers import NOW
from tests.inbox.conftest import ADA, DANA, Inbox, csrf_from, post_form, settings_for
from tests.inbox.factories import PASSWORD


def password_step(client: TestClient, email: str) -> Response:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD, "next": "/inbox"},
        follow_redirects=False,
    )


def enrol(inbox: Inbox, client: TestClient) -> str:
    """Set the second factor up in `client`'s account; returns the secret the page showed."""
    page = post_form(client, "/account/second-factor", "/account/second-factor/start")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "otpauth://totp/" in page.text
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page.text)
    assert secret
    code = pyotp.TOTP(secret.group(1)).at(inbox.clock.now())
    token = csrf_from(page.text)
    done = client.post(
        "/account/second-factor/confirm",
        data={"csrf_token": token, "code": code},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "is on since" in client.get("/account/second-factor").text
    return secret.group(1)


def code_step(client: TestClient, code: str) -> Response:
    token = csrf_from(client.get("/login/code").text)
    return client.post(
        "/login/code", data={"csrf_token": token, "code": code}, follow_redirects=False
    )


def test_with_a_second_factor_the_password_alone_opens_nothing(inbox: Inbox) -> None:
    secret = enrol(inbox, inbox.sign_in(DANA))
    thief = inbox.new_client()
    response = password_step(thief, DANA)
    assert response.status_code == 303 and response.headers["location"] == "/login/code"
    for page in ("/inbox", "/patients/1", "/account/second-factor"):
        blocked = thief.get(page, follow_redirects=False)
        assert blocked.status_code == 303 and blocked.headers["location"] == "/login/code"
    assert code_step(thief, "000000").status_code == 401
    inbox.clock.advance(seconds=31)
    code = pyotp.TOTP(secret).at(inbox.clock.now())
    signed_in = code_step(thief, code)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
    assert thief.get("/inbox").status_code == 200
    # The same code never signs in twice, even within its 30 seconds.
    again = inbox.new_client()
    password_step(again, DANA)
    assert code_step(again, code).status_code == 401
    with transaction(inbox.sessions) as s:
        done = list(s.scalars(select(AuditEvent.action)))
        assert {"second_factor_start", "second_factor_on", "second_factor_failed"} <= set(done)


def test_the_secret_is_shown_once_and_a_wrong_confirmation_turns_nothing_on(
    inbox: Inbox,
) -> None:
    client = inbox.sign_in(DANA)
    page = post_form(client, "/account/second-factor", "/account/second-factor/start")
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page.text)
    assert secret
    assert secret.group(1) not in client.get("/account/second-factor").text
    token = csrf_from(page.text)
    wrong = client.post("/account/second-factor/confirm", data={"csrf_token": token, "code": "1"})
    assert wrong.status_code == 400
    with transaction(inbox.sessions) as s:
        user = s.scalars(select(User).where(User.email == DANA)).one()
        assert not user.has_second_factor
    # Signing in still needs the password only.
    assert password_step(inbox.new_client(), DANA).headers["location"] == "/inbox"


def test_an_admin_resets_a_lost_second_factor(inbox: Inbox) -> None:
    enrol(inbox, inbox.sign_in(DANA))
    admin = inbox.new_client()
    password_step(admin, ADA)
    dana = inbox.ids["dana"]
    reset = post_form(admin, "/inbox/staff", f"/inbox/staff/{dana}/second-factor")
    assert reset.status_code == 303
    assert password_step(inbox.new_client(), DANA).headers["location"] == "/inbox"
    with transaction(inbox.sessions) as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "user_second_factor_reset")
        ).one()
        assert event.actor == ADA and event.subject == f"user:{dana}"


def test_admins_must_enrol_first_when_the_setting_says_so(db_url: str, inbox: Inbox) -> None:
    settings = settings_for(db_url).model_copy(update={"admin_second_factor": True})
    clock = FrozenClock(NOW)
    app = create_app(settings, clock=clock)
    admin = TestClient(app, base_url="https://testserver")
    assert password_step(admin, ADA).status_code == 303
    for page in ("/inbox", "/audit", "/inbox/staff"):
        sent = admin.get(page, follow_redirects=False)
        assert sent.headers["location"] == "/account/second-factor", page
    inbox.clock = clock
    enrol(inbox, admin)
    assert admin.get("/audit").status_code == 200
    # Pharmacists are not required to.
    pharmacist = TestClient(app, base_url="https://testserver")
    assert password_step(pharmacist, DANA).headers["location"] == "/inbox"
    assert pharmacist.get("/inbox").status_code == 200


def test_wrong_codes_are_throttled_like_wrong_passwords(inbox: Inbox) -> None:
    enrol(inbox, inbox.sign_in(DANA))
    client = inbox.new_client()
    password_step(client, DANA)
    statuses = [code_step(client, f"{n:06d}").status_code for n in range(8)]
    assert 429 in statuses
