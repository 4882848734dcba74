"""`medsync checkin open` for two patients on one phone: the second waits, and says so."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.cli.main import main
from tests.helpers import TOKEN, Phone, app_client

MILLERS = "+16145550177"


@pytest.fixture
def client(db_url: str, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    for key, value in {
        "MEDSYNC_DATABASE_URL": db_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_SENDER": "console",
        "MEDSYNC_CONSOLE_SHOWS_BODIES": "true",  # these tests read the texts
        "MEDSYNC_SENDING_HOURS_START": "00:00",
        "MEDSYNC_SENDING_HOURS_END": "23:59:59",
        "MEDSYNC_SENDING_HOURS_END_BY_STATE": "{}",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MEDSYNC_PUBLIC_URL", raising=False)
    return app_client(db_url)


def medsync(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_second_check_in_on_a_shared_phone_waits_for_the_first(client: TestClient) -> None:
    phone = Phone(client, MILLERS)
    for body in ("hi", "Robert", "yes", "15", "this is about Linda now", "yes", "no", "15"):
        phone.text(body)
    opened = medsync("checkin", "open", "P1011", "--anchor-date", "2026-12-15")
    assert "Check-in opened for P1011" in opened  # a landline: texts wait for a call
    waiting = medsync("checkin", "open", "P1012", "--anchor-date", "2026-12-15")
    assert "waits for another patient's check-in on the same phone" in waiting
    assert "Hi Linda" not in waiting
