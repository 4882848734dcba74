"""Preferences by phone: the enrollment call tells the cost and asks them (keypad), and the
call's menu offers them again on key 2; through the signed voice webhooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_sessionmaker, transaction
from store.models import Channel, ConsentEvent, ConsentKind, Patient
from store.preferences import PatientPreference, PreferenceChange
from tests.helpers import app_client
from tests.voice.calling import PhoneCall

DOROTHY = "+16175550122"  # P1005, English, a landline


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url, verify_callers=False)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_the_enrollment_call_tells_the_cost_and_asks_the_preferences_by_keypad(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    call.press("1")
    chosen = call.press("9")
    assert chosen.says[0].startswith("Your pickup day is day 9 of each month.")
    assert any(
        s.startswith("To get in sync, some refills before your first synced") for s in chosen.says
    )
    assert any("prorated copay" in s and "$" in s for s in chosen.says)
    assert any(s.startswith("Would you like us to deliver your medicines") for s in chosen.says)
    assert "Say yes or press 1. Say no or press 2." in chosen.says
    time_of_day = call.press("1")  # delivery; a landline is not asked texts or calls
    assert time_of_day.says[0].startswith("What time of day is best for our messages?")
    detailed = call.press("3#")
    assert detailed.says[0].startswith("Texts are not encrypted")
    saved = call.press("2")
    assert any(s.startswith("Thank you! You can change these choices any time") for s in saved.says)
    with transaction(sessions) as s:
        dorothy = s.scalars(select(Patient).where(Patient.phone == DOROTHY)).one()
        pref = s.get(PatientPreference, dorothy.id)
        assert pref is not None and (pref.delivery, pref.channel, pref.time_of_day) == (
            True, None, "evening",
        )  # fmt: skip
        assert {c.channel for c in s.scalars(select(PreferenceChange))} == {"voice"}
        consent = s.scalars(
            select(ConsentEvent).where(ConsentEvent.kind == ConsentKind.DETAILED_MESSAGES_OFF)
        ).one()
        assert consent.channel == Channel.VOICE and consent.wording == "keypad 2"


def test_the_call_menu_offers_the_preferences_on_key_2(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    first = PhoneCall(client, DOROTHY)
    first.dial_in()
    first.press("1")
    first.press("9")
    for key in ("2", "1#", "2"):  # pickup, morning, no names
        first.press(key)
    again = PhoneCall(client, DOROTHY)
    menu = again.dial_in()
    assert any("press 2" in s and "best time to reach you" in s for s in menu.says), menu.says
    asked = again.press("2")
    assert asked.says[0] == "Let's update your preferences. You can skip any question."
    assert asked.says[1].startswith("Would you like us to deliver")
    again.press("1")  # delivery now
    again.press("2#")  # afternoon
    again.press("1")  # names allowed
    with transaction(sessions) as s:
        dorothy = s.scalars(select(Patient).where(Patient.phone == DOROTHY)).one()
        pref = s.get(PatientPreference, dorothy.id)
        assert pref is not None and (pref.delivery, pref.time_of_day) == (True, "afternoon")
        kinds = s.scalars(
            select(ConsentEvent.kind)
            .where(
                ConsentEvent.kind.in_(
                    [ConsentKind.DETAILED_MESSAGES_ON, ConsentKind.DETAILED_MESSAGES_OFF]
                )
            )
            .order_by(ConsentEvent.id)
        ).all()
        assert kinds == [ConsentKind.DETAILED_MESSAGES_OFF, ConsentKind.DETAILED_MESSAGES_ON]
