"""A patient's phone call through Twilio's signed voice webhooks, and its TwiML parsed as XML."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from httpx import Response
from twilio.request_validator import RequestValidator

from tests.helpers import PHARMACY_NUMBER, PUBLIC_URL, TOKEN

_sids: Iterator[int] = itertools.count(1)


def new_call_sid() -> str:
    return f"CA{0xCA11 << 112 | next(_sids):032x}"  # apart from the fake API's own SIDs


@dataclass(frozen=True)
class Heard:
    """One TwiML answer: what was said, and what the call waits for next."""

    xml: str
    root: ET.Element

    @classmethod
    def of(cls, text: str) -> Heard:
        root = ET.fromstring(text)
        assert root.tag == "Response", text
        return cls(text, root)

    @property
    def verbs(self) -> list[str]:
        return [child.tag for child in self.root]

    @property
    def says(self) -> list[str]:
        return [(say.text or "") for say in self.root.iter("Say")]

    @property
    def text(self) -> str:
        return " ".join(self.says)

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def action(self) -> str | None:
        for tag in ("Gather", "Dial", "Record"):
            found = self.root.find(tag)
            if found is not None:
                return found.get("action")
        return None

    @property
    def step(self) -> int | None:
        return step_of(self.action) if self.action else None

    @property
    def hangs_up(self) -> bool:
        return self.verbs[-1:] == ["Hangup"]


def step_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["step"][0])


class PhoneCall:
    """One call from `number` to the pharmacy (or answered by `number`, for outbound calls)."""

    def __init__(
        self, client: TestClient, number: str, sid: str | None = None, token: str = TOKEN
    ) -> None:
        self.client = client
        self.number = number
        self.sid = sid or new_call_sid()
        self.validator = RequestValidator(token)
        self.last: Heard | None = None

    def post(self, url: str, params: dict[str, str], signature: str | None = None) -> Response:
        """POST to an absolute public URL (as Twilio does), signed over it."""
        if signature is None:
            signature = self.validator.compute_signature(url, params)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": "AC" + "1" * 32,
            "From": self.number,
            "To": PHARMACY_NUMBER,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }

    def _heard(self, response: Response) -> Heard:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.last = Heard.of(response.text)
        return self.last

    def dial_in(self, **extra: str) -> Heard:
        """The patient calls the pharmacy's number."""
        return self._heard(
            self.post(PUBLIC_URL + "/twilio/voice", self.params(CallStatus="ringing", **extra))
        )

    def pick_up(self, call_id: int, answered_by: str = "human") -> Heard:
        """Our outbound call is answered; Twilio fetches the call's URL."""
        params = self.params(
            CallStatus="in-progress",
            Direction="outbound-api",
            From=PHARMACY_NUMBER,
            To=self.number,
            AnsweredBy=answered_by,
        )
        url = f"{PUBLIC_URL}/twilio/voice/outbound?call={call_id}"
        return self._heard(self.post(url, params))

    def answer(self, action: str | None = None, **fields: str) -> Heard:
        url = action or (self.last.action if self.last else None)
        assert url, "nothing is waiting for an answer"
        return self._heard(self.post(url, self.params(**fields)))

    def press(self, digits: str, action: str | None = None) -> Heard:
        return self.answer(action, Digits=digits)

    def say(self, words: str, confidence: float = 0.92, action: str | None = None) -> Heard:
        return self.answer(action, SpeechResult=words, Confidence=str(confidence))

    def silence(self, action: str | None = None) -> Heard:
        return self.answer(action)

    def status(self, status: str, call_id: int | None = None, **extra: str) -> Response:
        query = f"?call={call_id}" if call_id is not None else ""
        params = self.params(CallStatus=status, **extra)
        return self.post(f"{PUBLIC_URL}/twilio/voice/status{query}", params)
