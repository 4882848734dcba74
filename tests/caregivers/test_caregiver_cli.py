"""`medsync caregiver add / list / remove` and `medsync checkin open` with a caregiver, on
SQLite and PostgreSQL: the permission's words are kept, the caregiver's first text goes out,
the check-in reaches both phones, and mistakes get a plain sentence."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.cli.main import main
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditEvent, ConsentEvent, ConsentKind, Patient
from tests.helpers import TOKEN, Phone, app_client

MARGARET = "+12125550123"
DOROTHY = "+16175550122"  # P1005, a landline: no texts of her own


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


def medsync(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_staff_add_list_and_remove_a_caregiver(client: TestClient, db_url: str) -> None:
    added = medsync(
        "caregiver", "add", "P1001", "+16175550199", "--name", "Ann",
        "--permission", "patient said yes at the counter",
    )  # fmt: skip
    assert "(617) 555-0199 now gets Margaret's texts and can answer them." in added
    assert "Their first text: sent" in added
    again = medsync("caregiver", "add", "P1001", "617-555-0199", "--permission", "again")
    assert "already a caregiver for Margaret" in again
    listed = medsync("caregiver", "list", "P1001")
    assert "caregiver: (617) 555-0199 (Ann)" in listed
    assert "granted    (617) 555-0199  by staff:cli:" in listed
    assert "patient said yes at the counter" in listed
    removed = medsync("caregiver", "remove", "P1001", "(617) 555-0199", "--reason", "she asked")
    assert "(617) 555-0199 no longer gets Margaret's texts." in removed
    assert "Margaret has no caregivers now." in medsync("caregiver", "list", "P1001")
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as s:
        kinds = s.scalars(select(ConsentEvent.kind).order_by(ConsentEvent.id)).all()
        assert kinds == [ConsentKind.CAREGIVER_GRANTED, ConsentKind.CAREGIVER_WITHDRAWN]
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["caregiver_add", "caregiver_remove"]
    engine.dispose()


def test_the_check_in_goes_to_the_patient_and_the_caregiver(client: TestClient) -> None:
    margaret = Phone(client, MARGARET)
    for body in ("hi", "yes", "15"):
        margaret.text(body)
    medsync("caregiver", "add", "P1001", "+16175550199", "--permission", "yes, by phone")
    opened = medsync("checkin", "open", "P1001", "--anchor-date", "2026-12-15")
    assert "Check-in opened for P1001: sent" in opened
    # Ann's phone had its text for today (her first one): her copy waits, it is not dropped;
    # Margaret's own caps are not used up by it.
    assert "Also to a caregiver: deferred to " in opened
    assert "the frequency caps are reached" in opened


def test_a_landline_patients_check_in_reaches_their_caregiver(
    client: TestClient, db_url: str
) -> None:
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as s:
        dorothy = s.scalars(select(Patient).where(Patient.phone == DOROTHY)).one()
        assert dorothy.phone_type == "landline"
    engine.dispose()
    medsync("caregiver", "add", "P1005", "+16175550199", "--permission", "her son, at the counter")
    (choice,) = Phone(client, "+16175550199").text("hello")
    assert choice.startswith("Hi Dorothy,")  # the caregiver's text finds her


def test_mistakes_get_a_sentence(client: TestClient) -> None:
    assert "No patient P9999" in medsync(
        "caregiver", "add", "P9999", "+16175550199", "--permission", "x", ok=False
    )
    assert "is not a phone number" in medsync(
        "caregiver", "add", "P1001", "call her", "--permission", "x", ok=False
    )
    assert "the patient's own phone number" in medsync(
        "caregiver", "add", "P1001", MARGARET, "--permission", "x", ok=False
    )
    assert "Missing option '--permission'" in medsync(
        "caregiver", "add", "P1001", "+16175550199", ok=False
    )
    assert "is not a caregiver for Margaret; nothing changed." in medsync(
        "caregiver", "remove", "P1001", "+16175550199"
    )
