"""`medsync chat`: play the patient against a running server, signed the way Twilio signs."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import httpx
from twilio.request_validator import RequestValidator


class Chat:
    def __init__(self, base_url: str, public_url: str, token: str, from_: str, to: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.signed_url = public_url.rstrip("/") + "/twilio/sms"
        self.validator = RequestValidator(token)
        self.from_ = from_
        self.to = to
        self.client = httpx.Client(timeout=15.0)  # Twilio's own budget

    def send(self, body: str) -> list[str]:
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": self.from_,
            "To": self.to,
            "Body": body,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(self.signed_url, params)
        response = self.client.post(
            self.base_url + "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        response.raise_for_status()
        return replies(response.text)


def replies(twiml: str) -> list[str]:
    """The texts inside a TwiML answer."""
    root = ET.fromstring(twiml)
    return [(m.text or "").strip() for m in root.iter("Message")]
