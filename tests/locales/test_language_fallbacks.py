"""The fallback paths, through the store and the signed SMS webhook, on SQLite and PostgreSQL:
a language the pharmacy turned off (English, one note to staff), a language MedSync has no
catalog for, a regional tag, a patient whose language is unknown (the menu first), and the
importer that decides which patients are unknown."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.imports.pharmacy_export import import_export
from store.db import transaction
from store.models import (
    ConsentEvent,
    Message,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
)
from tests.helpers import NOW, Phone, app_client

MIN_JUN = "+14055550188"  # P1006, Korean, not eligible for med sync: messages go to staff
LAN = "+17135550111"  # P1003, Vietnamese
WEI = "+14155550165"  # P1004, Simplified Chinese
MARGARET = "+12125550123"  # P1001, English


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url)


def _pharmacy(sessions: sessionmaker[Session], **overrides: bool) -> None:
    with transaction(sessions) as s:
        pharmacy = s.scalars(select(Pharmacy)).one()
        pharmacy.language_overrides = dict(overrides)


def _patient(sessions: sessionmaker[Session], external_id: str, **values: object) -> None:
    with transaction(sessions) as s:
        patient = s.scalars(select(Patient).where(Patient.external_id == external_id)).one()
        for name, value in values.items():
            setattr(patient, name, value)


def _notes(sessions: sessionmaker[Session]) -> list[ReviewItem]:
    with transaction(sessions) as s:
        return list(
            s.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.LANGUAGE_UNAVAILABLE))
        )


def test_a_patient_in_their_own_language(client: TestClient, session_factory) -> None:  # type: ignore[no-untyped-def]
    (answer,) = Phone(client, MIN_JUN).text("안녕하세요")
    assert answer == "감사합니다. 메시지를 약사에게 전달했습니다."
    assert _notes(session_factory) == []


def test_a_language_turned_off_gets_english_and_one_note_for_staff(
    client: TestClient,
    session_factory: sessionmaker[Session],
) -> None:
    _pharmacy(session_factory, vi=False)
    phone = Phone(client, LAN)
    (invitation,) = phone.text("Chào")
    assert invitation.startswith("Hi Lan, Main Street Pharmacy here.")
    (anchor,) = phone.text("Dạ có")  # still understood in Vietnamese
    assert anchor.startswith("Thank you! Which day of the month")
    (notes,) = [_notes(session_factory)]
    assert len(notes) == 1
    assert notes[0].summary.startswith("Vietnamese is turned off at Main Street Pharmacy")
    assert notes[0].details == {"language": "vi"}
    with transaction(session_factory) as s:
        consent = s.scalars(select(ConsentEvent)).one()
        assert (consent.wording, consent.language) == ("Dạ có", "en")
        replies = s.scalars(select(Message).where(Message.direction == "outbound")).all()
        assert {m.language for m in replies} == {"en"}


def test_turning_the_language_back_on_serves_it_again(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _pharmacy(session_factory, vi=False)
    (english,) = Phone(client, LAN).text("Chào")
    assert english.startswith("Hi Lan")
    _pharmacy(session_factory, vi=True)
    replies = Phone(client, LAN).text("Dạ có")
    assert replies[0].startswith("Cảm ơn quý vị!")


def test_a_language_without_a_catalog_gets_english_and_a_note(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _patient(session_factory, "P1001", language="fr")
    (answer,) = Phone(client, MARGARET).text("bonjour")
    assert answer.startswith("Hi Margaret, Main Street Pharmacy here.")
    (note,) = _notes(session_factory)
    assert note.summary.startswith("MedSync has no translation for the language 'fr'")


def test_a_regional_tag_is_served_in_its_language(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _patient(session_factory, "P1004", language="zh-CN")
    (answer,) = Phone(client, WEI).text("你好")
    assert answer.startswith("Wei您好，这里是Main Street Pharmacy。")
    assert _notes(session_factory) == []


def test_an_unknown_language_is_asked_first_then_remembered(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _patient(session_factory, "P1001", language_confirmed=False)
    phone = Phone(client, MARGARET)
    (menu,) = phone.text("hello")
    assert menu.startswith("Hello from Main Street Pharmacy. Which language do you prefer?")
    assert "3 简体中文" in menu and "6 한국어" in menu
    (chosen,) = phone.text("3")
    assert chosen.startswith("好的，我们会用简体中文给您发信息。\nMargaret您好")
    with transaction(session_factory) as s:
        patient = s.scalars(select(Patient).where(Patient.external_id == "P1001")).one()
        assert (patient.language, patient.language_confirmed) == ("zh-Hans", True)
    (thanks,) = phone.text("是")
    assert thanks.startswith("谢谢您！")
    with transaction(session_factory) as s:
        consent = s.scalars(select(ConsentEvent)).one()
        assert (consent.wording, consent.language) == ("是", "zh-Hans")


def test_the_menu_leaves_out_a_language_the_pharmacy_turned_off(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _pharmacy(session_factory, ko=False)
    _patient(session_factory, "P1001", language_confirmed=False)
    (menu,) = Phone(client, MARGARET).text("hello")
    assert "한국어" not in menu and "简体中文" in menu


def test_a_language_name_at_any_time_changes_and_confirms_it(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    phone = Phone(client, MARGARET)
    phone.text("hi")
    (changed,) = phone.text("TIẾNG VIỆT")
    assert changed.startswith("Vâng, chúng tôi sẽ nhắn tin cho quý vị bằng tiếng Việt.")
    with transaction(session_factory) as s:
        patient = s.scalars(select(Patient).where(Patient.external_id == "P1001")).one()
        assert (patient.language, patient.language_confirmed) == ("vi", True)


# ------------------------------------------------------------------ the importer

HEADER = (
    "patient_id,first_name,last_name,birth_date,phone,phone_type,language,rx_number,drug_name,"
    "daily_quantity,days_supply,quantity,last_fill_date,refills_remaining,written_date,"
    "dea_schedule,prn,maintenance,package,copay\n"
)


def _row(patient_id: str, language: str) -> str:
    return (
        f"{patient_id},Ana,Lee,1950-01-02,212-555-01{patient_id[-2:]},mobile,{language},"
        f"RX{patient_id},Med A,1,30,30,2026-11-03,5,2026-04-02,,N,Y,,10.00\n"
    )


def _import(sessions: sessionmaker[Session], rows: str) -> dict[str, tuple[str, bool]]:
    with transaction(sessions) as s:
        pharmacy = s.scalars(select(Pharmacy)).first()
        if pharmacy is None:
            pharmacy = Pharmacy(
                name="P",
                phone="+12125550199",
                twilio_number="+12125550100",
                timezone="America/New_York",
                created_at=NOW,
            )
            s.add(pharmacy)
            s.flush()
        import_export(s, pharmacy, io.StringIO(HEADER + rows), NOW)
    with transaction(sessions) as s:
        return {
            p.external_id: (p.language, p.language_confirmed) for p in s.scalars(select(Patient))
        }


def test_the_importer_marks_a_blank_language_unknown(
    session_factory: sessionmaker[Session],
) -> None:
    stored = _import(session_factory, _row("P01", "") + _row("P02", "ko") + _row("P03", "en"))
    assert stored == {"P01": ("en", False), "P02": ("ko", True), "P03": ("en", True)}
    # A later export with a blank language keeps what the patient chose or the pharmacy said.
    _patient(session_factory, "P01", language="zh-Hant", language_confirmed=True)
    stored = _import(session_factory, _row("P01", "") + _row("P02", ""))
    assert stored["P01"] == ("zh-Hant", True) and stored["P02"] == ("ko", True)
