"""The optional TOTP second factor (issue 17): enrolment shown once and confirmed by a code,
the code asked at sign-in, never accepted twice, an admin's reset, and the setting that makes
it required for admins. The secret is stored encrypted with MEDSYNC_SECRET_KEY
(bot/inbox/secret_box.py); a plain one is encrypted at the next sign-in; one that another key
sealed is a sentence, not a 500."""

from __future__ import annotations

import logging
import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.inbox import secret_box
from bot.inbox.second_factor import UNREADABLE
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


def stored_secret(inbox: Inbox, email: str = DANA) -> str | None:
    with transaction(inbox.sessions) as s:
        return s.scalars(select(User.totp_secret).where(User.email == email)).one()


def test_the_secret_is_stored_encrypted_and_still_signs_in(db_url: str, inbox: Inbox) -> None:
    secret = enrol(inbox, inbox.sign_in(DANA))
    stored = stored_secret(inbox)
    assert stored is not None and stored.startswith("fernet:")
    assert secret not in stored
    key = settings_for(db_url).secret_key
    assert secret_box.open_secret(stored, key) == secret
    client = inbox.new_client()
    password_step(client, DANA)
    inbox.clock.advance(seconds=31)
    signed_in = code_step(client, pyotp.TOTP(secret).at(inbox.clock.now()))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
    assert stored_secret(inbox) == stored  # already encrypted: not written again


def test_a_plain_secret_is_encrypted_at_the_next_sign_in(db_url: str, inbox: Inbox) -> None:
    secret = pyotp.random_base32()
    with transaction(inbox.sessions) as s:
        user = s.scalars(select(User).where(User.email == DANA)).one()
        user.totp_secret = secret  # as stored before encryption
        user.totp_confirmed_at = inbox.clock.now()
    client = inbox.new_client()
    assert password_step(client, DANA).headers["location"] == "/login/code"
    assert code_step(client, "000000").status_code == 401
    assert stored_secret(inbox) == secret  # a wrong code changes nothing
    signed_in = code_step(client, pyotp.TOTP(secret).at(inbox.clock.now()))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
    stored = stored_secret(inbox)
    assert stored is not None and stored.startswith("fernet:") and secret not in stored
    assert secret_box.open_secret(stored, settings_for(db_url).secret_key) == secret
    # The encrypted secret signs in as the plain one did.
    again = inbox.new_client()
    password_step(again, DANA)
    inbox.clock.advance(seconds=31)
    signed_in = code_step(again, pyotp.TOTP(secret).at(inbox.clock.now()))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"


@pytest.mark.parametrize("key", ["a-new-key-after-a-rotation-0123456", ""])
def test_a_secret_sealed_under_another_key_is_a_sentence_not_a_500(
    db_url: str, inbox: Inbox, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = enrol(inbox, inbox.sign_in(DANA))
    settings = settings_for(db_url).model_copy(update={"secret_key": key})
    clock = FrozenClock(inbox.clock.now())
    client = TestClient(create_app(settings, clock=clock), base_url="https://testserver")
    assert password_step(client, DANA).headers["location"] == "/login/code"
    clock.advance(seconds=31)
    with caplog.at_level(logging.WARNING, logger="bot.inbox.second_factor"):
        refused = code_step(client, pyotp.TOTP(secret).at(clock.now()))
    assert refused.status_code == 409
    assert UNREADABLE in refused.text
    assert "Ask an administrator to reset your second factor" in UNREADABLE
    assert client.get("/inbox", follow_redirects=False).headers["location"] == "/login/code"
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.inbox.second_factor"]
    assert len(lines) == 1 and f"user {inbox.ids['dana']} " in lines[0]
    stored = stored_secret(inbox)
    assert stored is not None
    assert secret not in lines[0] and stored not in lines[0]
    # The admin's reset (bot/inbox/lifecycle.py) gets Dana in with her password again.
    admin = TestClient(client.app, base_url="https://testserver")
    password_step(admin, ADA)
    reset = post_form(admin, "/inbox/staff", f"/inbox/staff/{inbox.ids['dana']}/second-factor")
    assert reset.status_code == 303
    assert stored_secret(inbox) is None
    dana = TestClient(client.app, base_url="https://testserver")
    assert password_step(dana, DANA).headers["location"] == "/inbox"


def test_without_a_secret_key_secrets_stay_plain_with_one_warning(
    db_url: str, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(db_url).model_copy(update={"secret_key": ""})
    with caplog.at_level(logging.WARNING, logger="bot.inbox"):
        app = create_app(settings, clock=inbox.clock)
    warnings = [r.getMessage() for r in caplog.records if "second-factor" in r.getMessage()]
    assert len(warnings) == 1 and "stored unencrypted" in warnings[0]
    secret = enrol(inbox, _signed_in(app, DANA))
    assert stored_secret(inbox) == secret
    client = TestClient(app, base_url="https://testserver")
    password_step(client, DANA)
    inbox.clock.advance(seconds=31)
    signed_in = code_step(client, pyotp.TOTP(secret).at(inbox.clock.now()))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
    assert stored_secret(inbox) == secret  # nothing to encrypt it with


def _signed_in(app: object, email: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    assert password_step(client, email).headers["location"] == "/inbox"
    return client


def test_a_changed_key_with_the_old_one_beside_it_signs_in_and_reseals(
    db_url: str, inbox: Inbox
) -> None:
    """Changing MEDSYNC_SECRET_KEY with the old key as MEDSYNC_PREVIOUS_SECRET_KEY: the
    secret sealed with the old key still signs in, and is sealed with the new one."""
    old_key = settings_for(db_url).secret_key
    secret = enrol(inbox, inbox.sign_in(DANA))
    new_key = "the-new-key-after-a-rotation-0123456789"
    settings = settings_for(db_url).model_copy(
        update={"secret_key": new_key, "previous_secret_key": old_key}
    )
    clock = FrozenClock(inbox.clock.now())
    client = TestClient(create_app(settings, clock=clock), base_url="https://testserver")
    assert password_step(client, DANA).headers["location"] == "/login/code"
    clock.advance(seconds=31)
    signed_in = code_step(client, pyotp.TOTP(secret).at(clock.now()))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
    stored = stored_secret(inbox)
    assert stored is not None and not secret_box.needs_sealing(stored, new_key)
    assert secret_box.open_secret(stored, new_key) == secret  # the old key is no longer needed
