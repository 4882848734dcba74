"""Issue 17 findings: "staff accounts cannot be disabled, roles changed or passwords reset;
sessions last 12 hours with no idle timeout" and the password checks.

`medsync user disable / enable / role / reset-password / reset-second-factor` and the admins'
staff page do the same, each audited; a disabled user's sessions and tokens stop at the next
request; sessions end after MEDSYNC_SESSION_IDLE_MINUTES idle and MEDSYNC_SESSION_HOURS.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.cli.main import main
from bot.clock import FrozenClock
from bot.inbox import secret_box
from bot.web.app import create_app
from bot.web.tokens import create_token
from store.accounts import Role, StaffSession, User
from store.db import transaction
from store.models import AuditEvent
from tests.helpers import NOW
from tests.inbox.conftest import ADA, DANA, TOM, Inbox, csrf_from, post_form, settings_for, sign_in
from tests.inbox.factories import PASSWORD

NEW_PASSWORD = "tulip cobalt harbour seven"


def medsync(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def actions(inbox: Inbox) -> list[str]:
    with transaction(inbox.sessions) as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def token_for(inbox: Inbox, email: str) -> dict[str, str]:
    with transaction(inbox.sessions) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return {"Authorization": f"Bearer {create_token(s, user, 'system', NOW)[1]}"}


def test_a_disabled_user_is_signed_out_and_their_token_refused_at_once(cli: Inbox) -> None:
    browser = cli.sign_in(DANA)
    headers = token_for(cli, DANA)
    assert browser.get("/inbox", follow_redirects=False).status_code == 200
    assert cli.client.get("/api/v1/review-items", headers=headers).status_code == 200
    result = medsync("user", "disable", DANA)
    assert result.exit_code == 0, result.output
    assert "disabled" in result.output
    # The very next request of the open session, and of the token, is refused.
    assert browser.get("/inbox", follow_redirects=False).status_code == 303
    refused = cli.client.get("/api/v1/review-items", headers=headers)
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    with transaction(cli.sessions) as s:
        assert all(r.ended_at is not None for r in s.scalars(select(StaffSession)))
    assert "user_disable" in actions(cli)
    # Enabled again: the password works, and the token (not revoked) does too.
    assert medsync("user", "enable", DANA).exit_code == 0
    sign_in(cli.new_client(), DANA)
    assert cli.client.get("/api/v1/review-items", headers=headers).status_code == 200
    assert "user_enable" in actions(cli)


def test_a_role_change_takes_effect_on_the_next_page(cli: Inbox) -> None:
    browser = cli.sign_in(TOM)
    assert browser.get("/audit").status_code == 403
    result = medsync("user", "role", TOM, "admin")
    assert result.exit_code == 0, result.output
    assert browser.get("/audit").status_code == 200
    with transaction(cli.sessions) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user_role")).one()
        assert event.before == {"role": "technician"} and event.after == {"role": "admin"}


def test_reset_password_checks_it_ends_sessions_and_never_logs_it(cli: Inbox) -> None:
    browser = cli.sign_in(DANA)
    weak = medsync("user", "reset-password", DANA, "--password-stdin", stdin="Password123!\n")
    assert weak.exit_code != 0 and "most common passwords" in weak.output
    short = medsync("user", "reset-password", DANA, "--password-stdin", stdin="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output
    done = medsync("user", "reset-password", DANA, "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    assert browser.get("/inbox", follow_redirects=False).status_code == 303
    sign_in(cli.new_client(), DANA, NEW_PASSWORD)
    with transaction(cli.sessions) as s:
        events = list(s.scalars(select(AuditEvent)))
        assert any(e.action == "user_password_reset" for e in events)
        assert not any(NEW_PASSWORD in str(e.before) + str(e.after) for e in events)


def test_common_passwords_are_refused_when_an_account_is_made(cli: Inbox) -> None:
    for weak in ("Password123!", "qwertyuiop123", "iloveyou iloveyou", "abc123abc123"):
        result = medsync(
            "user", "add", "pat@example.org", "--pharmacy", "Main Street Pharmacy",
            "--password-stdin", stdin=weak + "\n",
        )  # fmt: skip
        assert result.exit_code != 0, weak
        assert "Traceback" not in result.output
    with transaction(cli.sessions) as s:
        assert s.scalar(select(User).where(User.email == "pat@example.org")) is None


def test_the_only_admin_cannot_be_disabled_or_demoted(cli: Inbox) -> None:
    for args in (("user", "disable", ADA), ("user", "role", ADA, "pharmacist")):
        result = medsync(*args)
        assert result.exit_code != 0 and "only active admin" in result.output
    assert medsync("user", "role", DANA, "admin").exit_code == 0
    assert medsync("user", "disable", ADA).exit_code == 0


def test_unknown_accounts_get_a_sentence(cli: Inbox) -> None:
    for command in ("disable", "enable", "reset-second-factor"):
        result = medsync("user", command, "ghost@example.org")
        assert result.exit_code != 0 and "No account for ghost@example.org" in result.output


def test_a_session_ends_after_fifteen_idle_minutes(inbox: Inbox) -> None:
    browser = inbox.sign_in()
    for _ in range(8):  # busy for two hours: never idle for 15 minutes
        inbox.clock.advance(minutes=14)
        assert browser.get("/inbox", follow_redirects=False).status_code == 200
    inbox.clock.advance(minutes=15)
    assert browser.get("/inbox", follow_redirects=False).status_code == 303


def test_a_busy_session_still_ends_at_its_absolute_lifetime(inbox: Inbox) -> None:
    browser = inbox.sign_in()
    for _ in range(51):  # 11 h 54 min of steady work
        inbox.clock.advance(minutes=14)
        assert browser.get("/inbox", follow_redirects=False).status_code == 200
    inbox.clock.advance(minutes=7)
    assert browser.get("/inbox", follow_redirects=False).status_code == 303


def test_the_session_limits_are_settings(db_url: str, inbox: Inbox) -> None:
    settings = settings_for(db_url).model_copy(
        update={"session_idle_minutes": 5, "session_hours": 1}
    )
    clock = FrozenClock(NOW)
    client = TestClient(create_app(settings, clock=clock), base_url="https://testserver")
    sign_in(client, DANA)
    clock.advance(minutes=5)
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    sign_in(client, DANA)
    for _ in range(14):
        clock.advance(minutes=4)
        assert client.get("/inbox", follow_redirects=False).status_code == 200
    clock.advance(minutes=4)
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_admins_manage_staff_in_the_inbox_and_each_change_is_audited(inbox: Inbox) -> None:
    tom_browser = inbox.new_client()
    sign_in(tom_browser, TOM)
    admin = inbox.sign_in(ADA)
    page = admin.get("/inbox/staff")
    assert page.status_code == 200 and TOM in page.text
    tom = inbox.ids["tom"]
    role = post_form(admin, "/inbox/staff", f"/inbox/staff/{tom}/role", role="pharmacist")
    assert role.status_code == 303
    assert post_form(admin, "/inbox/staff", f"/inbox/staff/{tom}/disable").status_code == 303
    assert tom_browser.get("/inbox", follow_redirects=False).status_code == 303
    assert "disabled" in admin.get("/inbox/staff").text
    assert post_form(admin, "/inbox/staff", f"/inbox/staff/{tom}/enable").status_code == 303
    weak = post_form(admin, "/inbox/staff", f"/inbox/staff/{tom}/password", password="password1234")
    assert weak.status_code == 303
    assert "most common passwords" in admin.get("/inbox/staff").text
    post_form(admin, "/inbox/staff", f"/inbox/staff/{tom}/password", password=NEW_PASSWORD)
    sign_in(inbox.new_client(), TOM, NEW_PASSWORD)
    with transaction(inbox.sessions) as s:
        user = s.get(User, tom)
        assert user is not None and user.role is Role.PHARMACIST
        events = s.scalars(select(AuditEvent).where(AuditEvent.subject == f"user:{tom}"))
        done = {e.action: e.actor for e in events}
    for action in ("user_role", "user_disable", "user_enable", "user_password_reset"):
        assert done[action] == ADA


def test_only_admins_reach_the_staff_page_and_its_changes(inbox: Inbox) -> None:
    browser = inbox.sign_in(DANA)
    assert browser.get("/inbox/staff").status_code == 403
    token = csrf_from(browser.get("/inbox").text)
    tom = inbox.ids["tom"]
    response = browser.post(f"/inbox/staff/{tom}/disable", data={"csrf_token": token})
    assert response.status_code == 403
    with transaction(inbox.sessions) as s:
        user = s.get(User, tom)
        assert user is not None and user.active
    assert PASSWORD  # the fixture's password still signs Tom in
    sign_in(inbox.new_client(), TOM)


def test_reseal_second_factors_moves_every_secret_to_the_new_key(
    cli: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After MEDSYNC_SECRET_KEY changes, with the old key as MEDSYNC_PREVIOUS_SECRET_KEY, one
    command seals every second factor with the new key; one neither key opens is named."""
    old_key = settings_for(cli.url).secret_key
    with transaction(cli.sessions) as s:
        users = {u.email: u for u in s.scalars(select(User))}
        users[DANA].totp_secret = secret_box.seal("JBSWY3DPEHPK3PXP", old_key)
        users[TOM].totp_secret = "KRSXG5CTMVRXEZLU"  # plain, from before encryption
        users[ADA].totp_secret = secret_box.seal("GEZDGNBVGY3TQOJQ", "a-key-nobody-has")
    new_key = "the-new-key-after-a-rotation-0123456789"
    monkeypatch.setenv("MEDSYNC_SECRET_KEY", new_key)
    monkeypatch.setenv("MEDSYNC_PREVIOUS_SECRET_KEY", old_key)
    result = medsync("user", "reseal-second-factors")
    assert result.exit_code == 0, result.output
    assert "2 second factors sealed with the current key." in result.output
    assert f"{ADA}: neither key opens it" in result.output
    assert f"medsync user reset-second-factor {ADA}" in result.output
    with transaction(cli.sessions) as s:
        stored = {u.email: u.totp_secret for u in s.scalars(select(User))}
    assert secret_box.open_secret(stored[DANA] or "", new_key) == "JBSWY3DPEHPK3PXP"
    assert secret_box.open_secret(stored[TOM] or "", new_key) == "KRSXG5CTMVRXEZLU"
    assert "second_factors_resealed" in actions(cli)
    monkeypatch.delenv("MEDSYNC_SECRET_KEY")
    refused = medsync("user", "reseal-second-factors")
    assert refused.exit_code == 1 and "MEDSYNC_SECRET_KEY is not set" in refused.output
