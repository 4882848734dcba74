"""Signed Twilio requests, the demo pharmacy and a frozen clock, shared by the HTTP tests."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from twilio.request_validator import RequestValidator

from bot.clock import FrozenClock
from bot.imports import demo
from bot.settings import Settings
from bot.web.app import create_app
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Pharmacy

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://pharmacy.example.org"  # Twilio calls https; the proxy hands us http
PHARMACY_NUMBER = "+12125550100"
NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
_sids: Iterator[int] = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def settings_for(db_url: str) -> Settings:
    return Settings(
        database_url=db_url, twilio_auth_token=TOKEN, public_url=PUBLIC_URL, sender="null"
    )


def seeded(db_url: str) -> None:
    with transaction(make_sessionmaker(make_engine(db_url))) as session:
        demo.seed(session, NOW)


class Phone:
    """A patient's phone texting the pharmacy through Twilio's signed webhook."""

    def __init__(self, client: TestClient, number: str, token: str = TOKEN) -> None:
        self.client = client
        self.number = number
        self.validator = RequestValidator(token)

    def post(self, params: dict[str, str], signature: str | None = None) -> Response:
        url = PUBLIC_URL + "/twilio/sms"
        if signature is None:
            signature = self.validator.compute_signature(url, params)
        return self.client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )

    def params(self, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
        return {
            "MessageSid": sid or new_sid(),
            "SmsSid": sid or "",
            "AccountSid": "AC" + "1" * 32,
            "From": self.number,
            "To": PHARMACY_NUMBER,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }

    def text(self, body: str, sid: str | None = None, **extra: str) -> list[str]:
        response = self.post(self.params(body, sid, **extra))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return replies(response.text)


def replies(twiml: str) -> list[str]:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    return [(m.text or "") for m in root.iter("Message")]


def app_client(
    db_url: str, clock: FrozenClock | None = None, verify_callers: bool = True
) -> TestClient:
    """The app over the seeded demo. `verify_callers=False` turns the demo pharmacy's caller
    check off, for call tests about what follows it (tests/voice/test_caller_check.py tests
    the check itself, which is on by default)."""
    seeded(db_url)
    if not verify_callers:
        with transaction(make_sessionmaker(make_engine(db_url))) as session:
            session.execute(update(Pharmacy).values(verify_callers=False))
    return TestClient(create_app(settings_for(db_url), clock=clock or FrozenClock(NOW)))
