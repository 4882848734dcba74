"""Sending texts: one small interface, a real (Twilio), a console and a null implementation."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.settings import SettingMissing, Settings, twilio_problem

TWILIO_API = "https://api.twilio.com"


class SendError(Exception):
    """Twilio refused or failed a send; `code` is Twilio's error code (21610, 30006, ...)."""

    def __init__(self, message: str, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class Sender(Protocol):
    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send one text; return its SID."""
        ...


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The twilio client has no base-URL option: rewrite api.twilio.com to another base
    (a regional edge, or the local fake API the tests serve)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        if self.session is not None:
            # The proxies and CA bundle the environment gives for the API, read once: requests
            # reads the whole environment on every request otherwise (twice, for the proxies
            # and their exceptions), a tenth of a sending thread's time (issue 19).
            found = self.session.merge_environment_settings(self.base_url, {}, None, None, None)
            self.session.proxies = found["proxies"]
            self.session.verify = found["verify"]
            self.session.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSender:
    def __init__(self, account_sid: str, auth_token: str, api_url: str = TWILIO_API) -> None:
        self.client = Client(account_sid, auth_token, http_client=RebasedHttpClient(api_url))

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioException as error:
            # .msg / .title: str() adds terminal colours when stderr is a terminal.
            text = getattr(error, "msg", None) or getattr(error, "title", None) or str(error)
            raise SendError(
                str(text), getattr(error, "code", None), getattr(error, "status", None)
            ) from error
        return str(message.sid)

    def find_sms(self, to: str, from_: str, body: str, since: dt.datetime) -> str | None:
        """The SID of a text with this body Twilio already has (a send that lost its answer)."""
        for message in self.client.messages.list(to=to, from_=from_, limit=50):
            created = message.date_created
            if message.body == body and (created is None or created >= since):
                return str(message.sid)
        return None


def masked(phone: str) -> str:
    """A number as a log may show it: its last four digits only."""
    return "…" + phone[-4:] if len(phone) > 4 else "…"


class ConsoleSender:
    """Prints that a text would be sent (`serve --demo`, or MEDSYNC_SENDER=console): to whom,
    masked, and how long; its words only when told to (MEDSYNC_CONSOLE_SHOWS_BODIES)."""

    def __init__(self, out: TextIO | None = None, show_bodies: bool = False) -> None:
        self.out = out or sys.stdout
        self.show_bodies = show_bodies
        self._ids = itertools.count(1)

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        if self.show_bodies:
            line = f"[text to {to}] {body}"
        else:
            line = f"[text to {masked(to)}: {len(body)} characters, not sent]"
        print(line, file=self.out, flush=True)
        # Unique across runs: two `medsync` commands each start a sender of their own.
        return f"SMconsole{next(self._ids):08d}{secrets.token_hex(8)}"


@dataclass
class NullSender:
    """Keeps what was sent in memory, for tests and dry runs."""

    sent: list[dict[str, str | None]] = field(default_factory=list)
    # Unique across runs, like ConsoleSender's: two `medsync` commands each start their own.
    run: str = field(default_factory=lambda: secrets.token_hex(5))

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        self.sent.append(
            {"to": to, "from": from_, "body": body, "status_callback": status_callback}
        )
        return self._sid(len(self.sent))

    def find_sms(self, to: str, from_: str, body: str, since: dt.datetime) -> str | None:
        for number, sent in enumerate(self.sent, 1):
            if (sent["to"], sent["from"], sent["body"]) == (to, from_, body):
                return self._sid(number)
        return None

    def _sid(self, number: int) -> str:
        return f"SMnull{self.run}{number:018d}"  # 34 characters, as Twilio's


def sender_for(settings: Settings) -> Sender:
    """The sender the settings choose (MEDSYNC_SENDER, Twilio credentials, API base); a half
    set Twilio configuration is refused with a sentence (SettingMissing), never printed to."""
    problem = twilio_problem(settings)
    if problem:
        raise SettingMissing(problem)
    return make_sender(
        settings.sender_kind,
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_url,
        show_bodies=settings.console_shows_bodies,
    )


def make_sender(
    kind: str,
    account_sid: str = "",
    auth_token: str = "",
    api_url: str = TWILIO_API,
    show_bodies: bool = False,
) -> Sender:
    if kind == "twilio":
        return TwilioSender(account_sid, auth_token, api_url)
    if kind == "console":
        return ConsoleSender(show_bodies=show_bodies)
    if kind == "null":
        return NullSender()
    raise ValueError(f"unknown sender {kind!r}: use twilio, console or null")
