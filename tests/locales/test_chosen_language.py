"""Whose word a patient's language is (issue 20), on SQLite and PostgreSQL: a language chosen
on a call is kept like one chosen by text; English after two unclear answers to the language
menu is no one's choice, so the export's language replaces it; the importer records the
export's language apart, counts the patients it did not change, and says why on the page."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.imports.import_report import ImportReport
from bot.imports.pharmacy_export import import_export
from bot.languages.patient_language import origin
from store.db import transaction
from store.models import Patient, Pharmacy
from tests.helpers import NOW, Phone, app_client
from tests.voice.calling import PhoneCall

DOROTHY = "+16175550122"  # P1005, English in the export, landline
MARGARET = "+12125550123"  # P1001, English in the export
HEADER = (
    "patient_id,first_name,last_name,birth_date,phone,phone_type,language,rx_number,drug_name,"
    "daily_quantity,days_supply,quantity,last_fill_date,refills_remaining,written_date,"
    "dea_schedule,prn,maintenance,package,copay\n"
)
ROWS = {
    "P1001": "P1001,Margaret,Okafor,1948-03-12,(212) 555-0123,mobile,{},RX700101,"
    "Lisinopril 10 mg tablet,1,30,30,2026-11-03,5,2026-04-02,,N,Y,,10.00\n",
    "P1005": "P1005,Dorothy,Walsh,1939-05-23,(617) 555-0122,landline,{},RX700501,"
    "Warfarin 5 mg tablet,1,30,30,2026-11-18,2,2026-07-07,,N,Y,,4.00\n",
}


def _reimport(sessions: sessionmaker[Session], **languages: str) -> ImportReport:
    rows = "".join(ROWS[external_id].format(tag) for external_id, tag in languages.items())
    with transaction(sessions) as s:
        pharmacy = s.scalars(select(Pharmacy)).one()
        return import_export(s, pharmacy, io.StringIO(HEADER + rows), NOW + dt.timedelta(days=1))


def _patient(sessions: sessionmaker[Session], external_id: str) -> Patient:
    with transaction(sessions) as s:
        found = s.scalars(select(Patient).where(Patient.external_id == external_id)).one()
        s.expunge(found)
        return found


def test_a_language_chosen_on_a_call_is_kept(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    client: TestClient = app_client(db_url, verify_callers=False)
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    changed = call.say("Español")
    assert changed.says[0] == "De acuerdo, le hablaremos en español."
    dorothy = _patient(session_factory, "P1005")
    assert (dorothy.language, dorothy.language_source, dorothy.language_set_via) == (
        "es",
        "patient",
        "voice",
    )
    report = _reimport(session_factory, P1005="en")
    assert report.languages_kept == 1 and report.patients_updated == 0
    assert "1 patient kept the language they chose by text or on a call" in report.summary()
    kept = _patient(session_factory, "P1005")
    assert (kept.language, kept.export_language) == ("es", "en")
    with transaction(session_factory) as s:
        pharmacy = s.scalars(select(Pharmacy)).one()
        said = origin(kept, pharmacy)
    assert said.why == "chosen by the patient on a call on Nov 29, 2026"
    assert said.export_language == "en" and said.not_served == ""


def test_the_english_default_after_an_unclear_menu_is_no_ones_choice(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    client = app_client(db_url)
    with transaction(session_factory) as s:
        unknown = s.scalars(select(Patient).where(Patient.external_id == "P1001")).one()
        unknown.language_confirmed = False  # the export left it blank
    phone = Phone(client, MARGARET)
    (menu,) = phone.text("hello")
    assert "Which language do you prefer?" in menu
    phone.text("what?")
    phone.text("🤷")  # two unclear answers: English, and staff asked to call
    margaret = _patient(session_factory, "P1001")
    assert (margaret.language, margaret.language_source) == ("en", "default")
    with transaction(session_factory) as s:
        said = origin(margaret, s.scalars(select(Pharmacy)).one())
    assert said.why == "the default: two answers to the language menu were unclear (Nov 29, 2026)"

    report = _reimport(session_factory, P1001="vi")  # the pharmacy now knows: Vietnamese
    assert report.languages_kept == 0
    margaret = _patient(session_factory, "P1001")
    assert (margaret.language, margaret.language_source, margaret.export_language) == (
        "vi",
        "export",
        "vi",
    )
    (answer,) = phone.text("chào")  # the invitation is still waiting for yes or no
    assert answer.startswith(
        "Xin lỗi, chúng tôi muốn chắc chắn là đã hiểu đúng ý quý vị.\nQuý vị có muốn tham gia"
    )


def test_the_importer_keeps_a_chosen_language_and_records_the_exports(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    app_client(db_url)  # the demo pharmacy and its patients, from its export
    with transaction(session_factory) as s:
        margaret = s.scalars(select(Patient).where(Patient.external_id == "P1001")).one()
        margaret.language, margaret.language_source = "es", "patient"
    # The same language as the patient's: nothing to keep over, nothing changed.
    same = _reimport(session_factory, P1001="es", P1005="en")
    assert (same.languages_kept, same.patients_updated) == (0, 1)  # export_language es
    assert "kept the language" not in same.summary()
    # Another language, and a blank one: the choice stands; only the export's value moves.
    other = _reimport(session_factory, P1001="ko", P1005="ru")
    assert (other.languages_kept, other.patients_updated) == (1, 2)
    margaret, dorothy = _patient(session_factory, "P1001"), _patient(session_factory, "P1005")
    assert (margaret.language, margaret.language_source, margaret.export_language) == (
        "es",
        "patient",
        "ko",
    )
    assert (dorothy.language, dorothy.language_source, dorothy.export_language) == (
        "ru",
        "export",
        "ru",
    )
    blank = _reimport(session_factory, P1001="")
    assert blank.languages_kept == 0 and _patient(session_factory, "P1001").export_language == "ko"
