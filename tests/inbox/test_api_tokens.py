"""Issue 17 finding: "API tokens never expire, have no scopes, and their last use is unknown".

Tokens now expire (MEDSYNC_TOKEN_DAYS, or `--expires`), carry scopes each route checks, record
when and from where they were last used (`medsync token list`), and stop with their owner.
Tokens made before scopes existed keep what they could do and expire 90 days after the
upgrade (store/migrations/versions/0019_staff.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select, text

from bot.cli.main import main
from store.accounts import ApiToken, Scope
from store.db import make_engine, transaction, upgrade
from tests.inbox.conftest import DANA, Inbox
from tests.inbox.factories import flagged_check_in, patient


def medsync(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def new_token(*options: str) -> dict[str, str]:
    result = medsync("token", "create", "--user", DANA, "--name", "pharmacy-system", *options)
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


def test_a_token_expires(cli: Inbox) -> None:
    headers = new_token("--expires", "30")
    # The API's own clock is the test's frozen one; the CLI made the token on today's clock.
    with transaction(cli.sessions) as s:
        token = s.scalars(select(ApiToken)).one()
        token.expires_at = cli.clock.now() + dt.timedelta(days=30)
    assert cli.client.get("/api/v1/review-items", headers=headers).status_code == 200
    cli.clock.advance(days=30)
    expired = cli.client.get("/api/v1/review-items", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_a_token_without_expiry_gets_the_default_and_dates_are_checked(cli: Inbox) -> None:
    new_token()
    with transaction(cli.sessions) as s:
        token = s.scalars(select(ApiToken)).one()
        assert token.expires_at is not None
        days = (token.expires_at - token.created_at).days
        assert days == 90
    for bad in ("yesterday", "2020-01-01", "0"):
        result = medsync("token", "create", "--user", DANA, "--name", "x", "--expires", bad)
        assert result.exit_code != 0 and "--expires" in result.output, bad


def test_each_route_checks_the_token_scope(cli: Inbox) -> None:
    with transaction(cli.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
        patient_id = patient(s, "P1001").id
    reader = new_token("--scope", "items:read")
    assert cli.client.get("/api/v1/review-items", headers=reader).status_code == 200
    assert cli.client.get(f"/api/v1/review-items/{item_id}", headers=reader).status_code == 200
    refused = cli.client.post(
        f"/api/v1/review-items/{item_id}/decision", json={"action": "approve"}, headers=reader
    )
    assert refused.status_code == 403 and "items:decide" in refused.json()["detail"]
    assert cli.client.get(f"/api/v1/patients/{patient_id}", headers=reader).status_code == 403
    patients_only = new_token("--scope", "patients:read")
    allowed = cli.client.get(f"/api/v1/patients/{patient_id}", headers=patients_only)
    assert allowed.status_code == 200
    assert cli.client.get("/api/v1/review-items", headers=patients_only).status_code == 403
    decider = new_token("--scope", "items:decide")
    decided = cli.client.post(
        f"/api/v1/review-items/{item_id}/decision", json={"action": "approve"}, headers=decider
    )
    assert decided.status_code == 200, decided.text


def test_the_default_scopes_never_include_posting_dispensing_events(cli: Inbox) -> None:
    new_token()
    new_token("--scope", "dispensing:write")
    with transaction(cli.sessions) as s:
        first, second = s.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        assert Scope.POST_DISPENSING not in first.scope_set
        assert first.scope_set == {Scope.READ_ITEMS, Scope.DECIDE, Scope.READ_PATIENTS}
        assert second.scope_set == {Scope.POST_DISPENSING}


def test_token_list_shows_scopes_expiry_and_last_use(cli: Inbox) -> None:
    assert "No API tokens" in medsync("token", "list").output
    headers = new_token("--scope", "items:read", "--expires", "2099-12-31")
    listed = medsync("token", "list").output
    assert "items:read" in listed and "expires 2099-12-31" in listed and "never used" in listed
    assert cli.client.get("/api/v1/review-items", headers=headers).status_code == 200
    listed = medsync("token", "list").output
    assert "from testclient" in listed and "active" in listed
    with transaction(cli.sessions) as s:
        token = s.scalars(select(ApiToken)).one()
        assert token.last_used_at == cli.clock.now() and token.last_used_from == "testclient"
    medsync("user", "disable", DANA)
    assert "owner disabled" in medsync("token", "list").output


def test_tokens_made_before_scopes_keep_what_they_could_do_for_90_days(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0019_hardening")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_user (id, email, name, role, password_hash, active, "
                "created_at, updated_at) VALUES (1, 'a@example.org', '', 'pharmacist', 'x', 1, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO api_token (user_id, name, token_hash, prefix, created_at) "
                "VALUES (1, 'old', 'h', 'msk_old', '2026-01-01 00:00:00')"
            )
        )
    upgrade(url)
    with engine.connect() as conn:
        scopes, expires = conn.execute(text("SELECT scopes, expires_at FROM api_token")).one()
    engine.dispose()
    assert set(scopes.split()) == {"items:read", "items:decide", "patients:read"}
    expires_at = dt.datetime.fromisoformat(str(expires)).replace(tzinfo=dt.UTC)
    in_days = (expires_at - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert 89 < in_days <= 90
