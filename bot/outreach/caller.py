"""Placing phone calls: one small interface, a real (Twilio), a console and a null implementation,
like bot/sender.py for texts."""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from bot.outreach.sender import TWILIO_API, RebasedHttpClient, masked
from bot.settings import SettingMissing, Settings, twilio_problem

# Twilio reports these as the call progresses; the status callback records each.
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


class CallError(Exception):
    """Twilio refused or failed to place a call; `code` is Twilio's error code."""

    def __init__(self, message: str, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class Caller(Protocol):
    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        machine_detection: str = "DetectMessageEnd",
        time_limit: int | None = None,
    ) -> str:
        """Place one call; Twilio fetches `url` when it is answered. Return its CallSid."""
        ...


class TwilioCaller:
    def __init__(
        self, account_sid: str, auth_token: str, api_url: str = TWILIO_API, timeout: float = 10.0
    ) -> None:
        self.client = Client(
            account_sid, auth_token, http_client=RebasedHttpClient(api_url, timeout=timeout)
        )

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        machine_detection: str = "DetectMessageEnd",
        time_limit: int | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {
            "to": to,
            "from_": from_,
            "url": url,
            "method": "POST",
            "status_callback": status_callback,
            "status_callback_method": "POST",
            "status_callback_event": STATUS_EVENTS,
            # DetectMessageEnd waits for the greeting's beep, so a voicemail is heard whole.
            "machine_detection": machine_detection,
        }
        if time_limit:
            kwargs["time_limit"] = time_limit
        try:
            call = self.client.calls.create(**kwargs)
        except TwilioException as error:
            raise CallError(
                str(error), getattr(error, "code", None), getattr(error, "status", None)
            ) from error
        return str(call.sid)


class ConsoleCaller:
    """Prints that a call would be placed (`serve --demo`, or MEDSYNC_SENDER=console), to
    whom (masked); nothing else, as no call is made."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._ids = itertools.count(1)

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        machine_detection: str = "DetectMessageEnd",
        time_limit: int | None = None,
    ) -> str:
        print(f"[call to {masked(to)}: not placed]", file=self.out, flush=True)
        return f"CAconsole{next(self._ids):024d}"


@dataclass
class NullCaller:
    """Keeps the calls it was asked to place, for tests and dry runs."""

    placed: list[dict[str, Any]] = field(default_factory=list)

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        machine_detection: str = "DetectMessageEnd",
        time_limit: int | None = None,
    ) -> str:
        self.placed.append(
            {
                "to": to,
                "from": from_,
                "url": url,
                "status_callback": status_callback,
                "machine_detection": machine_detection,
                "time_limit": time_limit,
            }
        )
        return f"CAnull{len(self.placed):026d}"


def caller_for(settings: Settings) -> Caller:
    """The caller the settings choose: the same kind and account as the sender, refused the
    same way when half set."""
    problem = twilio_problem(settings)
    if problem:
        raise SettingMissing(problem)
    return make_caller(
        settings.sender_kind,
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_url,
    )


def make_caller(
    kind: str, account_sid: str = "", auth_token: str = "", api_url: str = TWILIO_API
) -> Caller:
    if kind == "twilio":
        return TwilioCaller(account_sid, auth_token, api_url)
    if kind == "console":
        return ConsoleCaller()
    if kind == "null":
        return NullCaller()
    raise ValueError(f"unknown caller {kind!r}: use twilio, console or null")
