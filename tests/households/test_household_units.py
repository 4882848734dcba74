"""Households in units: when the pure dialog offers to pick up together, the names it uses,
and the store side (the pooled recommendation, address matching)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from bot.channels.sms_text import compose
from bot.languages import catalogs as i18n
from bot.program import households
from dialogs import anchor, household
from dialogs.context import Context, PatientFacts
from dialogs.turn import Ask, RecordConsent, Text
from store.models import Patient, Pharmacy, Prescription

TODAY = dt.date(2026, 11, 29)
ROBERT = PatientFacts(
    id=11, first_name="Robert", birth_year=1944, enrollment="active", anchor_day=20
)
LINDA = PatientFacts(id=12, first_name="Linda", birth_year=1947, enrollment="consented")


def ctx(*patients: PatientFacts, language: str = "en") -> Context:
    return Context(
        today=TODAY,
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=patients,
        vocab=i18n.vocabulary_for(language),
    )


def test_the_offer_is_made_only_when_someone_on_the_phone_has_a_day() -> None:
    assert household.offer_due(ctx(ROBERT, LINDA), LINDA)
    assert not household.offer_due(ctx(LINDA), LINDA)  # alone on the phone
    assert not household.offer_due(ctx(replace(ROBERT, anchor_day=None), LINDA), LINDA)
    assert not household.offer_due(ctx(replace(ROBERT, enrollment="declined"), LINDA), LINDA)
    assert not household.offer_due(ctx(replace(ROBERT, opted_out=True), LINDA), LINDA)
    assert not household.offer_due(ctx(ROBERT, LINDA), replace(LINDA, household_asked=True))
    assert not household.offer_due(ctx(ROBERT, LINDA), replace(LINDA, household=3))


@pytest.mark.parametrize(
    ("language", "names"),
    [("en", "Robert and Linda"), ("es", "Robert y Linda"), ("vi", "Robert và Linda")],
)
def test_the_offer_names_everyone_by_first_name(language: str, names: str) -> None:
    c = ctx(replace(ROBERT, language=language), replace(LINDA, language=language))
    turn = anchor.start(anchor.State(), c, c.patients[1])
    (ask,) = turn.replies
    assert isinstance(ask, Ask) and ask.params == {"everyone": ("Robert", "Linda")}
    assert names in compose(turn.replies, language)


def test_namesakes_are_told_apart_in_the_offer() -> None:
    junior = PatientFacts(id=13, first_name="Robert", birth_year=1970, enrollment="consented")
    turn = anchor.start(anchor.State(), ctx(ROBERT, junior), junior)
    assert "Robert (1944) and Robert (1970) use this phone" in compose(turn.replies, "en")


def test_yes_is_a_consent_and_the_day_question_suggests_the_shared_day() -> None:
    c = ctx(ROBERT, LINDA)
    offered = anchor.start(anchor.State(), c, LINDA)
    turn = anchor.answer(offered.state, Text("Yes"), c, LINDA)
    assert turn.effects == (
        RecordConsent(LINDA.id, "household_joined", "Yes", household.prompts.HOUSEHOLD_OFFER),
    )
    assert turn.state.step == "day" and turn.state.data[household.DAY] == 20
    # "OK" then takes the household's day, not her own plan's (15).
    done = anchor.answer(turn.state, Text("ok"), c, LINDA)
    assert "day 20" in compose(done.replies, "en")


def _patient(external_id: str, *fills: tuple[str, int]) -> Patient:
    pharmacy = Pharmacy(name="P", phone="+12125550199", twilio_number="+1", timezone="UTC")
    patient = Patient(external_id=external_id, first_name="A", last_name="B", pharmacy=pharmacy)
    patient.prescriptions = [
        Prescription(
            rx_number=rx,
            drug_name=f"Drug {rx}",
            daily_quantity=Decimal(1),
            days_supply=30,
            quantity=Decimal(30),
            last_fill_date=TODAY - dt.timedelta(days=30 - due_in),
            refills_remaining=5,
            written_date=dt.date(2026, 6, 1),
            dea_schedule=None,
            prn=False,
            maintenance=True,
            package=None,
            copay=Decimal("5.00"),
        )
        for rx, due_in in fills
    ]
    return patient


def test_the_pooled_recommendation_considers_everyones_medicines() -> None:
    # Same rx numbers on both patients are kept apart; the latest due date of all is Dec 18.
    robert = _patient("P1", ("RX1", 5), ("RX2", 8))
    linda = _patient("P2", ("RX1", 12), ("RX2", 19))
    own = households.proposal(robert, TODAY)
    pooled = households.pooled_proposal([robert, linda], TODAY)
    assert own.day == 7  # Dec 7: the latest of Robert's own
    assert pooled is not None and pooled.day == 18


def test_addresses_match_as_the_post_office_writes_them() -> None:
    key = households.address_key("12 Elm Street, Apt 4, Columbus, OH 43215")
    assert key == households.address_key("12 ELM ST APT 4 COLUMBUS OH 43215")
    assert key != households.address_key("14 Elm Street, Apt 4, Columbus, OH 43215")
    assert households.address_key("  ") is None
    assert households.address_key("Rural route, no number") == "rural route no number"
