"""Issue 17 finding: "lockout is per email (anyone can lock a pharmacist out with 5 requests)
and spraying one password over many accounts is not slowed".

Now: a growing, capped delay per account that a right password passes once it has run out;
a stranger's failures never delay the account's own browsers; many accounts from one
address slow that address; one password sprayed over many accounts slows everyone unknown.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from bot.cli.main import main
from bot.inbox import throttle
from store.accounts import LoginFailure, Role
from store.db import transaction
from store.models import AuditEvent
from tests.inbox.conftest import ADA, DANA, TOM, Inbox, csrf_from
from tests.inbox.factories import PASSWORD, add_user


def browser(inbox: Inbox, address: str) -> TestClient:
    """A browser at `address` (what request.client.host says behind a trusted proxy)."""
    return TestClient(inbox.client.app, base_url="https://testserver", client=(address, 50000))


def attempt(client: TestClient, email: str, password: str) -> Response:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": "/inbox"},
        follow_redirects=False,
    )


def test_a_stranger_cannot_lock_a_pharmacist_out_of_her_own_browser(inbox: Inbox) -> None:
    own = browser(inbox, "198.51.100.7")
    assert attempt(own, DANA, PASSWORD).status_code == 303  # her browser is now known
    assert own.post("/logout", data={"csrf_token": csrf_from(own.get("/inbox").text)})
    stranger = browser(inbox, "203.0.113.66")
    statuses = [attempt(stranger, DANA, f"guess number {n}").status_code for n in range(40)]
    assert 429 in statuses  # the stranger is slowed down...
    # ...but Dana, in her own browser, signs in at once, as often as she likes.
    assert attempt(own, DANA, PASSWORD).status_code == 303


def test_the_account_delay_grows_is_capped_and_a_right_password_passes_after_it(
    inbox: Inbox,
) -> None:
    client = browser(inbox, "203.0.113.10")
    for n in range(throttle.FREE_PER_ACCOUNT):
        assert attempt(client, DANA, f"wrong {n}").status_code == 401  # the first few are free
    waits = []
    for n in range(12):
        assert attempt(client, DANA, f"wrong again {n}").status_code == 401
        refused = attempt(client, DANA, PASSWORD)  # even the right one waits its turn
        assert refused.status_code == 429
        assert "wait" in refused.text and "Traceback" not in refused.text
        waits.append(int(refused.headers["Retry-After"]))
        inbox.clock.advance(seconds=waits[-1])
    assert waits[:4] == [5, 10, 20, 40]  # doubling...
    assert max(waits) == throttle.MAX_DELAY.total_seconds()  # ...and capped at 5 minutes
    # The delay has run out: the right password signs in (nothing locks an account for good).
    assert attempt(client, DANA, PASSWORD).status_code == 303
    with transaction(inbox.sessions) as s:
        refusals = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_refused"))
        assert {e.after["reason"] for e in refusals if e.after} == {"account"}


def test_attempts_during_a_delay_are_not_checked_and_do_not_lengthen_it(inbox: Inbox) -> None:
    client = browser(inbox, "203.0.113.11")
    for n in range(throttle.FREE_PER_ACCOUNT + 1):
        attempt(client, DANA, f"wrong {n}")
    with transaction(inbox.sessions) as s:
        before = s.scalar(select(func.count()).select_from(LoginFailure))
    for _ in range(20):
        assert attempt(client, DANA, "hammering").status_code == 429
    with transaction(inbox.sessions) as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == before
    inbox.clock.advance(seconds=5)
    assert attempt(client, DANA, PASSWORD).status_code == 303


def test_many_accounts_from_one_address_slow_that_address_only(inbox: Inbox) -> None:
    noisy = browser(inbox, "203.0.113.20")
    # At most three tries on each of four accounts: no account is delayed, the address is.
    for n in range(throttle.FREE_PER_ADDRESS + 1):
        assert attempt(noisy, f"nobody{n % 4}@example.org", "some password").status_code == 401
    slowed = attempt(noisy, ADA, PASSWORD)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    # Someone at another address is not slowed by it.
    assert attempt(browser(inbox, "198.51.100.30"), TOM, PASSWORD).status_code == 303


def test_one_password_sprayed_over_many_accounts_from_many_addresses_is_slowed(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        for n in range(12):
            add_user(s, f"staff{n}@example.org", Role.TECHNICIAN, [inbox.ids["main"]])
    # One guess per account, each from a different address: no account or address delay.
    for n in range(throttle.SPRAY_ACCOUNTS):
        client = browser(inbox, f"192.0.2.{n + 1}")
        assert attempt(client, f"staff{n}@example.org", "Summer2026!!").status_code == 401
    sprayed = attempt(browser(inbox, "192.0.2.99"), "staff11@example.org", "Summer2026!!")
    assert sprayed.status_code == 429
    assert int(sprayed.headers["Retry-After"]) <= throttle.SPRAY_PACE.total_seconds()
    inbox.clock.advance(seconds=throttle.SPRAY_PACE.total_seconds())
    # Paced: one try per 10 seconds gets through, and a right password signs in.
    assert attempt(browser(inbox, "192.0.2.100"), DANA, PASSWORD).status_code == 303


def test_user_unlock_forgets_every_failure_of_the_account(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = browser(inbox, "203.0.113.40")
    for n in range(8):
        attempt(client, DANA, f"wrong {n}")
    assert attempt(client, DANA, PASSWORD).status_code == 429
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", inbox.url)
    result = CliRunner().invoke(main, ["user", "unlock", DANA])
    assert result.exit_code == 0, result.output
    assert attempt(client, DANA, PASSWORD).status_code == 303
