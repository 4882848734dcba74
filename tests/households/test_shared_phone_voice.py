"""The Miller landline on a call: keypad choice, then switching person by voice."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import app_client
from tests.voice.calling import PhoneCall

MILLERS = "+16145550177"


def test_a_caller_switches_person_by_saying_so(db_url: str) -> None:
    client: TestClient = app_client(db_url, verify_callers=False)
    call = PhoneCall(client, MILLERS)
    who = call.dial_in()
    assert "For Robert, press 1." in who.says
    robert = call.press("1")
    assert robert.says[0].startswith("Hi Robert, Main Street Pharmacy here.")
    linda = call.say("this is about Linda now")
    assert linda.says[0].startswith("Hi Linda, Main Street Pharmacy here.")
    assert linda.gather is not None  # her question waits for an answer on the call
