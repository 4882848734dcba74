"""`medsync call`: place an invitation or check-in call (or the calls that are due), and
`medsync phone`: play a caller against a running server, keypad and speech typed in."""

from __future__ import annotations

import datetime as dt
import secrets
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx
from twilio.request_validator import RequestValidator

from bot.cli.common import Fail, talking_to
from bot.settings import Settings, get_settings

PURPOSES = {"invitation": "invitation", "check-in": "check_in"}


def _public_base(settings: Settings) -> str:
    if not settings.public_url:
        raise Fail(
            "Set MEDSYNC_PUBLIC_URL to the https address Twilio reaches this server at: "
            "Twilio fetches the call's questions from there."
        )
    return settings.public_url.rstrip("/")


@click.command("call")
@click.argument("patient_id", required=False)
@click.option(
    "--purpose",
    type=click.Choice(sorted(PURPOSES)),
    default="check-in",
    show_default=True,
    help="What the call is for.",
)
@click.option("--anchor-date", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
@click.option(
    "--due",
    is_flag=True,
    help="Write the check-in calls that are due for patients who cannot take texts, and place "
    "every call whose time has come.",
)
def call(
    patient_id: str | None,
    purpose: str,
    anchor_date: dt.datetime | None,
    which: str | None,
    due: bool,
) -> None:
    """Call a patient (their patient_id in the export) for an invitation or the check-in.

    The call is placed now if the patient's local time allows it, else scheduled for the
    next allowed time (run `medsync call --due` then, or let the scheduler do it).
    """
    from bot.cli.common import pharmacy_named as _pharmacy
    from bot.cli.common import sessions_for as _sessions
    from bot.conversation.runtime import NotEnrolled, PatientNotFound, runtime_for
    from bot.outreach.call_desk import CallDesk
    from bot.outreach.call_placing import CallRefused
    from bot.outreach.caller import caller_for
    from store.calls import CallPurpose
    from store.db import transaction

    settings = get_settings()
    if not due and not patient_id:
        raise Fail("Say which patient to call (their patient_id), or use --due.")
    base = _public_base(settings)
    sessions = _sessions(settings)
    desk = CallDesk(runtime_for(settings, sessions))
    caller = caller_for(settings)
    if due:
        results = desk.run_due(caller, base)
        click.echo("\n".join(results) if results else "No calls are due.")
        return
    assert patient_id is not None
    with transaction(sessions) as session:
        pharmacy_id = _pharmacy(session, which).id
    try:
        scheduled = desk.schedule(
            pharmacy_id,
            patient_id,
            CallPurpose(PURPOSES[purpose]),
            anchor_date.date() if anchor_date else None,
        )
    except (PatientNotFound, NotEnrolled, CallRefused) as error:
        raise Fail(str(error)) from None
    if scheduled.already:
        click.echo(f"This call was scheduled before (call {scheduled.call_id}).")
    click.echo(
        f"Call {scheduled.call_id} to {patient_id}: {desk.place(scheduled.call_id, caller, base)}."
    )


# ---------------------------------------------------------------------- a pretend phone


class Handset:
    """A caller's side of Twilio: posts what the caller keys or says, signed as Twilio signs."""

    def __init__(
        self,
        base_url: str,
        public_url: str,
        token: str,
        from_: str,
        to: str,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(token)
        self.sid = "CA" + secrets.token_hex(16)
        self.from_, self.to = from_, to
        self.client = client or httpx.Client(timeout=15.0)  # Twilio's own budget

    def post(self, url: str, **fields: str) -> ET.Element:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        params = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.from_,
            "To": self.to,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            **fields,
        }
        signature = self.validator.compute_signature(self.public_url + path, params)
        response = self.client.post(
            self.base_url + path, data=params, headers={"X-Twilio-Signature": signature}
        )
        response.raise_for_status()
        return ET.fromstring(response.text)


def _said(root: ET.Element) -> list[str]:
    return [(say.text or "").strip() for say in root.iter("Say")]


def _next(root: ET.Element) -> tuple[str, ET.Element] | None:
    for tag in ("Gather", "Dial", "Record"):
        found = root.find(tag)
        if found is not None:
            return tag, found
    return None


def play_call(handset: Handset, read_line: Callable[[], str], echo: Callable[[str], None]) -> None:
    """Dial in, then say what the bot says and send what the caller types, until a hang-up."""
    root = handset.post(handset.public_url + "/twilio/voice", CallStatus="ringing")
    while True:
        for line in _said(root):
            echo(f"bot> {line}")
        waiting = _next(root)
        if waiting is None:
            echo("(the bot hung up)")
            return
        tag, element = waiting
        action = element.get("action", "")
        if tag == "Dial":
            echo(f"(transferred to {(element.text or '').strip()}: no one answers in this demo)")
            if not action:
                return
            root = handset.post(action, DialCallStatus="no-answer")
            continue
        if tag == "Record":
            echo("(a message would be recorded now; this demo records nothing)")
            root = handset.post(action)
            continue
        line = read_line()
        if not line:
            echo("(you hung up)")
            return
        said = line.strip()
        if said.replace("#", "").replace("*", "").isdigit():
            root = handset.post(action, Digits=said.rstrip("#"))
        elif said:
            root = handset.post(action, SpeechResult=said, Confidence="0.95")
        else:
            root = handset.post(action)


@click.command("phone")
@click.argument("number")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The server.")
@click.option(
    "--to", "to", default=None, help="The pharmacy's Twilio number (default: the only one)."
)
def phone(number: str, url: str, to: str | None) -> None:
    """Call the running bot as the patient with this phone number.

    Type digits for the keypad (15 for day 15), words for speech, an empty line for silence;
    Ctrl-D hangs up.
    """
    from bot.cli.common import pharmacy_named as _pharmacy
    from bot.cli.common import sessions_for as _sessions
    from bot.conversation.messages import normalize_phone
    from bot.imports import demo
    from store.db import transaction

    settings = get_settings()
    token = settings.twilio_auth_token or demo.read_token(Path(settings.demo_token_file))
    if not token:
        raise Fail("No auth token: set TWILIO_AUTH_TOKEN, or start the server with --demo here.")
    if to is None:
        with transaction(_sessions(settings)) as session:
            to = _pharmacy(session, None).twilio_number
    handset = Handset(url, settings.public_url or url, token, normalize_phone(number), to)
    click.echo(f"Calling {to} from {handset.from_}. Type keys or words; Ctrl-D hangs up.")
    with talking_to(url):
        play_call(handset, sys.stdin.readline, click.echo)
