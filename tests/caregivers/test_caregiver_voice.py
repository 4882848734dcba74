"""A caregiver calls the pharmacy's number: the call finds the patients they look after,
asking which one by first name when there are several."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.cli.main import main
from tests.helpers import app_client
from tests.voice.calling import PhoneCall

ANN = "+16175550199"


def test_a_caregiver_of_two_patients_calls_and_picks_one_by_keypad(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client: TestClient = app_client(db_url, verify_callers=False)
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    for patient_id in ("P1001", "P1005"):
        result = CliRunner().invoke(
            main, ["caregiver", "add", patient_id, ANN, "--permission", "at the counter"]
        )
        assert result.exit_code == 0, result.output
    call = PhoneCall(client, ANN)
    who = call.dial_in()
    assert "For Dorothy, press 1." in who.says and "For Margaret, press 2." in who.says
    margaret = call.press("2")
    assert margaret.says[0].startswith("Hi Margaret, Main Street Pharmacy here.")


def test_a_stranger_who_was_never_a_caregiver_is_not_found(db_url: str) -> None:
    call = PhoneCall(app_client(db_url, verify_callers=False), ANN)
    answer = call.dial_in()
    assert not any("Margaret" in line for line in answer.says)
