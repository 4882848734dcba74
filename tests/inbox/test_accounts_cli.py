"""`medsync user add|list|unlock` and `medsync token create|revoke`, through the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli.main import main
from store.accounts import ApiToken, LoginFailure, Membership, Role, User
from store.db import transaction
from store.models import AuditEvent
from tests.helpers import NOW
from tests.inbox.conftest import DANA, SQLITE_ONLY, Inbox, sign_in
from tests.inbox.factories import PASSWORD

MAIN = ("--pharmacy", "Main Street Pharmacy")


def medsync(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def test_user_add_with_a_password_from_stdin_can_sign_in(cli: Inbox) -> None:
    result = medsync(
        "user",
        "add",
        "Pat@Example.org",
        "--name",
        "Pat Kim",
        "--pharmacy",
        "Main Street Pharmacy",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Added pat@example.org (pharmacist) for Main Street Pharmacy" in result.output
    with transaction(cli.sessions) as s:
        user = s.scalars(select(User).where(User.email == "pat@example.org")).one()
        assert user.role == Role.PHARMACIST and user.name == "Pat Kim"
        assert user.password_hash.startswith("$argon2id$")
        assert [m.pharmacy_id for m in user.memberships] == [cli.ids["main"]]
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user_add")).one()
        assert event.actor.startswith("cli") and event.subject == f"user:{user.id}"
    sign_in(cli.new_client(), "pat@example.org", "a long enough password")


@SQLITE_ONLY
def test_the_password_is_asked_twice_when_not_on_stdin(cli: Inbox) -> None:
    result = medsync(
        "user",
        "add",
        "amy@example.org",
        "--role",
        "admin",
        stdin="first password!\nsecond one!!!\n",
    )
    assert result.exit_code != 0
    result = medsync(
        "user",
        "add",
        "amy@example.org",
        "--role",
        "admin",
        stdin="same password!\nsame password!\n",
    )
    assert result.exit_code == 0, result.output
    assert "every pharmacy" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["user", "add", "x@example.org", *MAIN, "--password-stdin"], "short\n", "at least 12"),
        (["user", "add", DANA, *MAIN, "--password-stdin"], PASSWORD + "\n", "already an account"),
        (
            ["user", "add", "not-an-email", *MAIN, "--password-stdin"],
            PASSWORD + "\n",
            "not an email",
        ),
        (
            ["user", "add", "y@example.org", "--pharmacy", "Nowhere", "--password-stdin"],
            PASSWORD + "\n",
            "No pharmacy called",
        ),
        (
            ["user", "add", "z@example.org", "--role", "owner", "--password-stdin"],
            PASSWORD + "\n",
            "Invalid value",
        ),
        (["token", "create", "--user", "ghost@example.org", "--name", "x"], None, "No account"),
    ],
)
@SQLITE_ONLY
def test_bad_input_gets_a_sentence_and_changes_nothing(
    cli: Inbox, args: list[str], stdin: str | None, says: str
) -> None:
    with transaction(cli.sessions) as s:
        before = len(s.scalars(select(User)).all())
    result = medsync(*args, stdin=stdin)
    assert result.exit_code != 0
    assert says in result.output
    assert "Traceback" not in result.output
    with transaction(cli.sessions) as s:
        assert len(s.scalars(select(User)).all()) == before


def test_with_two_pharmacies_a_non_admin_needs_one_named(cli: Inbox) -> None:
    result = medsync("user", "add", "q@example.org", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code != 0 and "--pharmacy" in result.output
    result = medsync(
        "user",
        "add",
        "q@example.org",
        "--role",
        "technician",
        "--pharmacy",
        "+12125550200",
        "--pharmacy",
        str(cli.ids["main"]),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    with transaction(cli.sessions) as s:
        user = s.scalars(select(User).where(User.email == "q@example.org")).one()
        ids = s.scalars(select(Membership.pharmacy_id).where(Membership.user_id == user.id))
        assert sorted(ids) == sorted([cli.ids["main"], cli.ids["uptown"]])
    assert "q@example.org\ttechnician" in medsync("user", "list").output


def test_token_create_shows_the_secret_once_and_keeps_a_hash(cli: Inbox) -> None:
    result = medsync("token", "create", "--user", DANA, "--name", "pharmacy-system")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("msk_")
    with transaction(cli.sessions) as s:
        token = s.scalars(select(ApiToken)).one()
        assert secret not in token.token_hash and token.name == "pharmacy-system"
    headers = {"Authorization": f"Bearer {secret}"}
    assert cli.client.get("/api/v1/review-items", headers=headers).status_code == 200
    revoked = medsync("token", "revoke", secret[:12])
    assert revoked.exit_code == 0, revoked.output
    assert cli.client.get("/api/v1/review-items", headers=headers).status_code == 401
    assert medsync("token", "revoke", "msk_").exit_code == 0  # the only token
    assert medsync("token", "revoke", "zzz").exit_code != 0


def test_user_unlock_clears_a_lockout(cli: Inbox) -> None:
    with transaction(cli.sessions) as s:
        for _ in range(5):
            s.add(LoginFailure(email=DANA, created_at=NOW))
    from tests.inbox.conftest import csrf_from

    client = cli.new_client()
    token = csrf_from(client.get("/login").text)
    locked = client.post("/login", data={"csrf_token": token, "email": DANA, "password": PASSWORD})
    assert locked.status_code == 429
    result = medsync("user", "unlock", DANA)
    assert result.exit_code == 0, result.output
    sign_in(client, DANA)
