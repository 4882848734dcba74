"""The database not answering: every door answers 503 with Retry-After on a connection that
stays open (the fault test tests/faults/test_postgres_restart.py stops a real server under
load; these stop nothing: the app points at a port where no database listens)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from bot.clock import FrozenClock
from bot.web.app import create_app
from tests.helpers import NOW, Phone, settings_for

NOWHERE = "postgresql+psycopg://medsync@127.0.0.1:1/medsync?connect_timeout=2"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(settings_for(NOWHERE), clock=FrozenClock(NOW)))


def test_a_text_while_the_database_is_down_is_a_503_to_retry(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    phone = Phone(client, "+12125550123")
    with caplog.at_level(logging.WARNING, logger="medsync.web"):
        response = phone.post(phone.params("my metformin dose changed"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "not answering" in response.text
    assert "Traceback" not in response.text
    # One plain line in the log, naming the door, never the patient or their words.
    assert [r.getMessage() for r in caplog.records] == [
        "database unavailable for POST /twilio/sms: OperationalError"
    ]
    # The same client's next request goes out on the same kept-alive connection and is
    # answered the same way: the outage does not turn into dropped connections.
    assert phone.post(phone.params("hello again")).status_code == 503


def test_the_api_answers_503_too(client: TestClient) -> None:
    response = client.post(
        "/api/v1/dispensing-events", json={"events": []}, headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
