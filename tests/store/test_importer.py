"""The pharmacy export importer, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.imports import demo
from bot.imports import export_writing as importer
from bot.imports.export_rows import COLUMNS
from bot.imports.import_report import ImportFileError, ImportReport
from bot.imports.pharmacy_export import import_export
from store.db import transaction
from store.models import Patient, Pharmacy, Prescription
from tests.conftest import NOW

# The sample export ships with the demo; tests/web checks it matches shared/data's copy.
SAMPLE = demo.EXPORT
LATER = NOW + dt.timedelta(days=1)

SAMPLE_ERRORS = {
    (26, "P1009", "RX700901"),
    (27, "P1009", "RX700902"),
    (30, "P1010", "RX701003"),
}

BASE_ROW = {
    "patient_id": "P1",
    "first_name": "Ann",
    "last_name": "Lee",
    "birth_date": "1950-01-02",
    "phone": "(212) 555-0123",
    "phone_type": "mobile",
    "language": "en",
    "rx_number": "RX1",
    "drug_name": "Lisinopril 10 mg tablet",
    "daily_quantity": "1",
    "days_supply": "30",
    "quantity": "30",
    "last_fill_date": "2026-11-03",
    "refills_remaining": "5",
    "written_date": "2026-04-02",
    "dea_schedule": "",
    "prn": "N",
    "maintenance": "Y",
    "package": "",
    "copay": "10.00",
}


def _pharmacy(session: Session) -> Pharmacy:
    pharmacy = session.scalars(select(Pharmacy).order_by(Pharmacy.id).limit(1)).one_or_none()
    if pharmacy is None:
        pharmacy = Pharmacy(
            name="Main Street Pharmacy", phone="+12125550199", twilio_number="+12125550100",
            timezone="America/New_York", created_at=NOW,
        )  # fmt: skip
        session.add(pharmacy)
        session.flush()
    return pharmacy


def _csv(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def _row(**changes: str) -> dict[str, str]:
    return {**BASE_ROW, **changes}


def _import(factory: sessionmaker[Session], text: str, now: dt.datetime = NOW) -> ImportReport:
    with transaction(factory) as session:
        return import_export(session, _pharmacy(session), io.StringIO(text, newline=""), now)


def _import_sample(factory: sessionmaker[Session], now: dt.datetime = NOW) -> ImportReport:
    with (
        transaction(factory) as session,
        SAMPLE.open(encoding="utf-8-sig", newline="") as rows,
    ):
        return import_export(session, _pharmacy(session), rows, now)


def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with transaction(factory) as session:
        patients = session.scalar(select(func.count()).select_from(Patient))
        prescriptions = session.scalar(select(func.count()).select_from(Prescription))
    return patients or 0, prescriptions or 0


def _patient(factory: sessionmaker[Session], external_id: str) -> Patient:
    with transaction(factory) as session:
        return session.scalars(select(Patient).where(Patient.external_id == external_id)).one()


def _prescription(factory: sessionmaker[Session], rx_number: str) -> Prescription:
    with transaction(factory) as session:
        query = select(Prescription).where(Prescription.rx_number == rx_number)
        return session.scalars(query).one()


def _errors(report: ImportReport) -> set[tuple[int, str, str]]:
    return {(e.line, e.patient_id, e.rx_number) for e in report.errors}


# --- the sample export -----------------------------------------------------------------------


def test_sample_keeps_good_rows_and_reports_exactly_the_bad_ones(
    session_factory: sessionmaker[Session],
) -> None:
    report = _import_sample(session_factory)

    assert _errors(report) == SAMPLE_ERRORS
    reasons = {e.rx_number: e.reason for e in report.errors}
    for rx in ("RX700901", "RX700902"):
        assert "phone '555-0100'" in reasons[rx]
        assert "area code" in reasons[rx]
    assert "last_fill_date" in reasons["RX701003"]
    assert "2026-13-40" in reasons["RX701003"]

    assert report.rows_ok == 30
    assert (report.patients_created, report.patients_updated) == (11, 0)
    assert (report.prescriptions_created, report.prescriptions_updated) == (30, 0)
    assert _counts(session_factory) == (11, 30)

    with transaction(session_factory) as session:
        patients = {p.external_id: p for p in session.scalars(select(Patient))}
        assert "P1009" not in patients
        assert [rx.rx_number for rx in patients["P1010"].prescriptions] == [
            "RX701001",
            "RX701002",
        ]
        assert patients["P1011"].phone == patients["P1012"].phone == "+16145550177"
        assert patients["P1011"].phone_type == patients["P1012"].phone_type == "landline"
        assert patients["P1001"].phone == "+12125550123"
        assert patients["P1003"].phone == "+17135550111"
        assert patients["P1004"].language == "zh-Hans"
        assert patients["P1002"].last_name == "Ramírez"
        assert patients["P1001"].birth_date == dt.date(1948, 3, 12)
        assert patients["P1001"].created_at == patients["P1001"].updated_at == NOW

        rxs = {rx.rx_number: rx for rx in session.scalars(select(Prescription))}
        assert rxs["RX700204"].dea_schedule == "CII"
        assert rxs["RX700601"].dea_schedule == "CV"
        assert rxs["RX700603"].dea_schedule == "CIV"
        assert rxs["RX700101"].dea_schedule is None
        inhaler = rxs["RX700104"]
        assert (inhaler.package, inhaler.prn, inhaler.maintenance) == ("inhaler", True, False)
        assert inhaler.daily_quantity is None
        assert rxs["RX700403"].package == "eye_drops"
        assert rxs["RX700402"].daily_quantity == Decimal("0.5")
        assert rxs["RX701201"].daily_quantity == Decimal("0.142857")
        assert rxs["RX700202"].days_supply == 90
        assert rxs["RX700101"].copay == Decimal("10.00")
        assert rxs["RX700101"].last_fill_date == dt.date(2026, 11, 3)
        assert rxs["RX700302"].refills_remaining == 0


def test_reimporting_the_same_file_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    first = _import_sample(session_factory)
    second = _import_sample(session_factory, now=LATER)

    assert second.rows_ok == first.rows_ok == 30
    assert (second.patients_created, second.patients_updated) == (0, 0)
    assert (second.prescriptions_created, second.prescriptions_updated) == (0, 0)
    assert second.errors == first.errors
    assert _counts(session_factory) == (11, 30)
    assert _patient(session_factory, "P1001").updated_at == NOW
    assert _prescription(session_factory, "RX700101").updated_at == NOW


def test_reimport_with_changed_values_updates_them(
    session_factory: sessionmaker[Session],
) -> None:
    _import_sample(session_factory)
    text = SAMPLE.read_text(encoding="utf-8-sig")
    old = "RX700101,Lisinopril 10 mg tablet,1,30,30,2026-11-03,"
    assert old in text
    # A later fill, on or before the re-import's day (a fill after it is a bad row).
    text = text.replace(old, old.replace("2026-11-03", "2026-11-28"))
    text = text.replace("Dorothy,Walsh", "Dot,Walsh").replace(
        "(617) 555-0122,landline,en", "(617) 555-0122,mobile,en"
    )

    report = _import(session_factory, text, now=LATER)

    assert (report.patients_created, report.patients_updated) == (0, 1)
    assert (report.prescriptions_created, report.prescriptions_updated) == (0, 1)
    assert _errors(report) == SAMPLE_ERRORS
    assert _counts(session_factory) == (11, 30)
    changed = _prescription(session_factory, "RX700101")
    assert (changed.last_fill_date, changed.updated_at) == (dt.date(2026, 11, 28), LATER)
    assert _prescription(session_factory, "RX700102").updated_at == NOW
    walsh = _patient(session_factory, "P1005")
    assert (walsh.first_name, walsh.phone_type) == ("Dot", "mobile")
    assert (walsh.created_at, walsh.updated_at) == (NOW, LATER)
    assert _patient(session_factory, "P1001").updated_at == NOW


def test_import_never_commits(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        _pharmacy(session)
    with session_factory() as session:
        report = import_export(session, _pharmacy(session), io.StringIO(_csv(_row())), NOW)
        assert report.rows_ok == 1
        session.rollback()
    assert _counts(session_factory) == (0, 0)


def test_existing_records_are_loaded_in_bulk(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    rows = [
        _row(patient_id=f"P{n:05d}", rx_number=f"RX{n:05d}-{k}", phone=f"(212) 555-{n % 10000:04d}")
        for n in range(1200)
        for k in range(2)
    ]
    text = _csv(*rows)
    first = _import(session_factory, text)
    assert (first.patients_created, first.prescriptions_created) == (1200, 2400)

    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        second = _import(session_factory, text.replace("Lisinopril", "Losartan"), now=LATER)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (second.patients_updated, second.prescriptions_updated) == (0, 2400)
    # the pharmacy, then 3 chunks of patients and 3 of prescriptions, and the prescriptions'
    # statuses once before and once after (issue 16: what changed status is audited): never
    # one per row
    assert len(selects) <= 10, "\n".join(s[:60] for s in selects)
    assert _counts(session_factory) == (1200, 2400)


@pytest.mark.parametrize("whole_pharmacy", [False, True], ids=["by-id", "whole-pharmacy"])
def test_records_of_another_pharmacy_are_never_touched(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, whole_pharmacy: bool
) -> None:
    if whole_pharmacy:
        monkeypatch.setattr(importer, "BULK_LOAD_ABOVE", 0)
    _import(session_factory, _csv(_row(), _row(patient_id="P2", rx_number="RX2")))
    with transaction(session_factory) as session:
        other = Pharmacy(
            name="Other Pharmacy", phone="+12125550198", twilio_number="+12125550101",
            timezone="America/New_York", created_at=NOW,
        )  # fmt: skip
        session.add(other)
        session.flush()
        rows = io.StringIO(_csv(_row(first_name="Zed"), _row(patient_id="P3", rx_number="RX3")))
        report = import_export(session, other, rows, LATER)
    assert (report.patients_created, report.prescriptions_created) == (2, 2)
    _import(session_factory, _csv(_row(quantity="60"), _row(patient_id="P2", rx_number="RX2")))
    with transaction(session_factory) as session:
        rows_by_pharmacy = session.execute(
            select(
                Patient.pharmacy_id, Patient.external_id, Patient.first_name, Prescription.quantity
            )
            .join(Prescription)
            .order_by(Patient.pharmacy_id, Patient.external_id)
        ).all()
    assert [tuple(r) for r in rows_by_pharmacy] == [
        (1, "P1", "Ann", Decimal("60")),
        (1, "P2", "Ann", Decimal("30")),
        (2, "P1", "Zed", Decimal("30")),
        (2, "P3", "Ann", Decimal("30")),
    ]


# --- rows ------------------------------------------------------------------------------------


def test_conflicting_patient_columns_later_row_wins(
    session_factory: sessionmaker[Session],
) -> None:
    report = _import(
        session_factory,
        _csv(
            _row(rx_number="RX1", first_name="Ann", phone="(212) 555-0123"),
            _row(rx_number="RX2", first_name="Anne", phone="(212) 555-0124", language="es"),
        ),
    )
    assert (report.rows_ok, report.patients_created, report.prescriptions_created) == (2, 1, 2)
    patient = _patient(session_factory, "P1")
    assert (patient.first_name, patient.phone, patient.language) == (
        "Anne",
        "+12125550124",
        "es",
    )


def test_bad_phone_rejects_only_its_row(session_factory: sessionmaker[Session]) -> None:
    report = _import(
        session_factory,
        _csv(
            _row(rx_number="RX1"),
            _row(rx_number="RX2", phone="555-0100"),
            _row(patient_id="P2", rx_number="RX3"),
        ),
    )
    assert _errors(report) == {(3, "P1", "RX2")}
    assert report.errors[0].reason == (
        "phone '555-0100' is not a valid US number (is the area code missing?)"
    )
    assert (report.rows_ok, report.patients_created, report.prescriptions_created) == (2, 2, 2)
    assert _patient(session_factory, "P1").phone == "+12125550123"


def test_every_problem_of_a_row_is_in_one_reason(session_factory: sessionmaker[Session]) -> None:
    report = _import(
        session_factory,
        _csv(_row(birth_date="12/03/48", prn="maybe", copay="-5", drug_name="")),
    )
    assert len(report.errors) == 1
    assert report.errors[0].reason.split("; ") == [
        "birth_date '12/03/48' is not a date in YYYY-MM-DD (or MM/DD/YYYY) form",
        "drug_name is blank",
        "prn 'maybe' is not Y or N",
        "copay '-5' must not be negative",
    ]
    assert report.rows_ok == 0
    assert _counts(session_factory) == (0, 0)


def test_line_numbers_are_physical_lines(session_factory: sessionmaker[Session]) -> None:
    text = _csv(_row(rx_number="RX1"), _row(rx_number="RX2", drug_name="Two\nlines"))
    text += "\n"  # a blank line: skipped, but it still counts
    text += _csv(_row(rx_number="RX3", quantity="lots")).split("\n", 1)[1]
    report = _import(session_factory, text)
    assert _errors(report) == {(6, "P1", "RX3")}
    assert report.rows_ok == 2
    assert _prescription(session_factory, "RX2").drug_name == "Two\nlines"


def test_row_with_the_wrong_number_of_fields_is_rejected(
    session_factory: sessionmaker[Session],
) -> None:
    text = (
        _csv(_row(rx_number="RX1")) + "P1,Ann,Lee\n" + _csv(_row(rx_number="RX3")).split("\n", 1)[1]
    )
    report = _import(session_factory, text)
    assert _errors(report) == {(3, "P1", "")}
    assert f"3 fields but the header has {len(COLUMNS)} columns" in report.errors[0].reason
    assert report.rows_ok == 2


def test_trailing_commas_and_unknown_columns_are_ignored(
    session_factory: sessionmaker[Session],
) -> None:
    header, body = _csv(_row(rx_number="RX1"), _row(rx_number="RX2")).split("\n", 1)
    first, second, _ = body.split("\n")
    text = f"{header},\n{first}\n{second},,\n"
    report = _import(session_factory, text)
    assert (report.rows_ok, report.errors) == (2, [])

    text = _csv(_row(rx_number="RX3", notes="call after 5"), columns=(*COLUMNS, "notes"))
    report = _import(session_factory, text)
    assert (report.rows_ok, report.errors) == (1, [])
    assert _counts(session_factory) == (1, 3)


def test_bom_and_header_case_and_spaces(session_factory: sessionmaker[Session]) -> None:
    header, body = _csv(_row()).split("\n", 1)
    header = ",".join(f" {name.upper()} " for name in header.split(","))
    report = _import(session_factory, "\ufeff" + header + "\n" + body)
    assert (report.rows_ok, report.errors) == (1, [])


def test_optional_columns_may_be_left_out(session_factory: sessionmaker[Session]) -> None:
    _import(session_factory, _csv(_row(language="es", phone_type="landline")))
    columns = tuple(c for c in COLUMNS if c not in {"birth_date", "phone_type", "language"})
    report = _import(session_factory, _csv(_row(), _row(patient_id="P2"), columns=columns))
    assert (report.patients_created, report.patients_updated, report.errors) == (1, 0, [])
    kept = _patient(session_factory, "P1")
    assert (kept.language, kept.phone_type, kept.birth_date) == (
        "es",
        "landline",
        dt.date(1950, 1, 2),
    )
    new = _patient(session_factory, "P2")
    assert (new.language, new.phone_type, new.birth_date) == ("en", None, None)


# --- the file as a whole ---------------------------------------------------------------------


def test_missing_required_columns_raise_and_write_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    columns = tuple(c for c in COLUMNS if c not in {"copay", "rx_number"})
    with transaction(session_factory) as session:
        pharmacy = _pharmacy(session)
        with pytest.raises(ImportFileError) as raised:
            import_export(session, pharmacy, io.StringIO(_csv(_row(), columns=columns)), NOW)
        # the caller's transaction goes on and commits: still nothing of the file in it
    assert "missing the required columns rx_number, copay" in str(raised.value)
    assert _counts(session_factory) == (0, 0)


def test_duplicate_column_raises(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(ImportFileError, match="names the column phone twice"):
        _import(session_factory, _csv(_row(), columns=(*COLUMNS, "Phone")))
    assert _counts(session_factory) == (0, 0)


def test_completely_empty_file_raises(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(ImportFileError, match="empty"):
        _import(session_factory, "")


def test_header_only_file_imports_nothing(session_factory: sessionmaker[Session]) -> None:
    report = _import(session_factory, _csv())
    assert report == ImportReport()
    assert report.summary() == (
        "Imported 0 rows: 0 patients created, 0 patients updated, "
        "0 prescriptions created, 0 prescriptions updated.\nNo rows rejected."
    )
    assert _counts(session_factory) == (0, 0)


def test_summary_lists_rejected_rows(session_factory: sessionmaker[Session]) -> None:
    report = _import_sample(session_factory)
    assert report.summary().splitlines() == [
        "Imported 30 rows: 11 patients created, 0 patients updated, "
        "30 prescriptions created, 0 prescriptions updated.",
        "3 rows rejected:",
        "  line 26 (P1009, RX700901): phone '555-0100' is not a valid US number"
        " (is the area code missing?)",
        "  line 27 (P1009, RX700902): phone '555-0100' is not a valid US number"
        " (is the area code missing?)",
        "  line 30 (P1010, RX701003): last_fill_date '2026-13-40' is not a real date"
        " (expected YYYY-MM-DD)",
    ]


# --- normalisation tables --------------------------------------------------------------------


def _one(factory: sessionmaker[Session], **changes: str) -> tuple[ImportReport, Any, Any]:
    report = _import(factory, _csv(_row(**changes)))
    if report.errors:
        return report, None, None
    return report, _patient(factory, "P1"), _prescription(factory, "RX1")


def _rejected(factory: sessionmaker[Session], **changes: str) -> str:
    report, _, _ = _one(factory, **changes)
    assert report.rows_ok == 0
    assert len(report.errors) == 1
    assert _counts(factory) == (0, 0)
    return report.errors[0].reason


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", None),
        ("CII", "CII"),
        ("C-II", "CII"),
        ("II", "CII"),
        ("2", "CII"),
        ("c2", "CII"),
        ("Schedule II", "CII"),
        ("2N", "CII"),
        ("CIII", "CIII"),
        ("C-III", "CIII"),
        ("3", "CIII"),
        ("civ", "CIV"),
        ("IV", "CIV"),
        ("Schedule 4", "CIV"),
        ("CV", "CV"),
        ("c-5", "CV"),
        ("V", "CV"),
    ],
)
def test_schedules(session_factory: sessionmaker[Session], raw: str, stored: str | None) -> None:
    _, _, rx = _one(session_factory, dea_schedule=raw)
    assert rx.dea_schedule == stored


@pytest.mark.parametrize(
    ("raw", "words"), [("CVI", "not a DEA schedule"), ("X", "not a DEA"), ("C1", "schedule I")]
)
def test_unknown_schedules_reject_the_row(
    session_factory: sessionmaker[Session], raw: str, words: str
) -> None:
    assert words in _rejected(session_factory, dea_schedule=raw)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Y", True),
        ("y", True),
        ("Yes", True),
        ("TRUE", True),
        ("1", True),
        ("N", False),
        ("n", False),
        ("no", False),
        ("False", False),
        ("0", False),
    ],
)
def test_yes_no(session_factory: sessionmaker[Session], raw: str, stored: bool) -> None:
    _, _, rx = _one(session_factory, prn=raw, maintenance=raw)
    assert (rx.prn, rx.maintenance) == (stored, stored)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("maybe", "prn 'maybe' is not Y or N"), ("", "prn is blank (expected Y or N)")],
)
def test_bad_yes_no_rejects_the_row(
    session_factory: sessionmaker[Session], raw: str, reason: str
) -> None:
    assert _rejected(session_factory, prn=raw) == reason


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", None),
        ("inhaler", "inhaler"),
        ("Insulin", "insulin"),
        ("eye_drops", "eye_drops"),
        ("eye drops", "eye_drops"),
        ("Eye-Drops", "eye_drops"),
        ("patch", "patch"),
        ("LIQUID", "liquid"),
    ],
)
def test_packages(session_factory: sessionmaker[Session], raw: str, stored: str | None) -> None:
    _, _, rx = _one(session_factory, package=raw)
    assert rx.package == stored


def test_unknown_package_rejects_the_row(session_factory: sessionmaker[Session]) -> None:
    assert _rejected(session_factory, package="box") == (
        "package 'box' is not one of inhaler, insulin, eye_drops, patch, liquid (or blank)"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "(212) 555-0123",
        "212-555-0123",
        "212.555.0123",
        "2125550123",
        "1-212-555-0123",
        "+1 212 555 0123",
        "+1 (212) 555-0123",
        "+12125550123",
    ],
)
def test_phones(session_factory: sessionmaker[Session], raw: str) -> None:
    _, patient, _ = _one(session_factory, phone=raw)
    assert patient.phone == "+12125550123"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("555-0100", "phone '555-0100' is not a valid US number (is the area code missing?)"),
        ("212-055-0123", "phone '212-055-0123' is not a valid US number"),
        ("call me", "phone 'call me' is not a phone number"),
        ("212-555-0123 ext 4", "phone '212-555-0123 ext 4' has an extension"),
        ("", "phone is blank"),
    ],
)
def test_bad_phones_reject_the_row(
    session_factory: sessionmaker[Session], raw: str, reason: str
) -> None:
    assert _rejected(session_factory, phone=raw).startswith(reason)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("10.00", Decimal("10.00")),
        ("$10.00", Decimal("10.00")),
        ("10", Decimal("10.00")),
        ("$ 4.5", Decimal("4.50")),
        ("$1,250.00", Decimal("1250.00")),
        ("0", Decimal("0.00")),
    ],
)
def test_copays(session_factory: sessionmaker[Session], raw: str, stored: Decimal) -> None:
    _, _, rx = _one(session_factory, copay=raw)
    assert rx.copay == stored


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-5", "copay '-5' must not be negative"),
        ("ten", "copay 'ten' is not a number"),
        ("", "copay is blank"),
    ],
)
def test_bad_copays_reject_the_row(
    session_factory: sessionmaker[Session], raw: str, reason: str
) -> None:
    assert _rejected(session_factory, copay=raw) == reason


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", "en"),
        ("es", "es"),
        ("ES", "es"),
        ("zh-hans", "zh-Hans"),
        ("ZH-HANT", "zh-Hant"),
        ("es-mx", "es-MX"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        # Pharmacy systems often keep the language's name instead of a tag.
        ("Spanish", "es"),
        ("ESPAÑOL", "es"),
        ("Chinese", "zh-Hans"),
        ("Cantonese", "zh-Hant"),
        ("Haitian Creole", "ht"),
        ("Creole", "ht"),
        ("Filipino", "tl"),
        ("French", "fr"),
    ],
)
def test_languages(session_factory: sessionmaker[Session], raw: str, stored: str) -> None:
    _, patient, _ = _one(session_factory, language=raw)
    assert patient.language == stored


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"language": "Elvish tongue"}, "language 'Elvish tongue' is not a language tag"),
        ({"phone_type": "fax"}, "phone_type 'fax' is not mobile, landline or blank"),
        ({"written_date": "2026-02-30"}, "written_date '2026-02-30' is not a real date"),
        ({"last_fill_date": "11/03/26"}, "last_fill_date '11/03/26' is not a date"),
        ({"last_fill_date": "31/12/2026"}, "last_fill_date '31/12/2026' is not a real date"),
        ({"last_fill_date": ""}, "last_fill_date is blank"),
        ({"days_supply": "0"}, "days_supply '0' must be between 1 and 366"),
        ({"days_supply": "30.5"}, "days_supply '30.5' is not a whole number"),
        ({"quantity": "-1"}, "quantity '-1' must not be negative"),
        ({"refills_remaining": "-1"}, "refills_remaining '-1' must be between 0 and 999"),
        ({"daily_quantity": "0"}, "daily_quantity '0' must be more than 0"),
        ({"patient_id": ""}, "patient_id is blank"),
        ({"rx_number": ""}, "rx_number is blank"),
        ({"first_name": "x" * 101}, "first_name is longer than 100 characters"),
    ],
)
def test_other_bad_values_reject_the_row(
    session_factory: sessionmaker[Session], changes: dict[str, str], reason: str
) -> None:
    assert _rejected(session_factory, **changes).startswith(reason)


@pytest.mark.parametrize(
    ("changes", "field", "stored"),
    [
        ({"daily_quantity": ""}, "daily_quantity", None),
        ({"daily_quantity": "0.5"}, "daily_quantity", Decimal("0.5")),
        ({"daily_quantity": ".25"}, "daily_quantity", Decimal("0.25")),
        ({"quantity": "0"}, "quantity", Decimal("0")),
        ({"quantity": "2.5"}, "quantity", Decimal("2.5")),
        ({"days_supply": "90"}, "days_supply", 90),
        ({"refills_remaining": "0"}, "refills_remaining", 0),
    ],
)
def test_numbers(
    session_factory: sessionmaker[Session], changes: dict[str, str], field: str, stored: object
) -> None:
    _, _, rx = _one(session_factory, **changes)
    assert getattr(rx, field) == stored


def test_us_dates_are_month_first(session_factory: sessionmaker[Session]) -> None:
    """US pharmacy systems print MM/DD/YYYY: 03/12/1950 is March 12, never December 3."""
    _, patient, prescription = _one(
        session_factory,
        birth_date="03/12/1950",
        last_fill_date="11/3/2026",
        written_date="4/02/2026",
    )
    assert patient.birth_date == dt.date(1950, 3, 12)
    assert prescription.last_fill_date == dt.date(2026, 11, 3)
    assert prescription.written_date == dt.date(2026, 4, 2)


@pytest.mark.parametrize("raw", ["Unknown", "N/A", "und", "Other", "  unknown "])
def test_a_language_not_known_is_read_as_blank(
    session_factory: sessionmaker[Session], raw: str
) -> None:
    """ "Unknown" in the language column is no bad row: the patient is asked, as for a blank."""
    report, patient, _ = _one(session_factory, language=raw)
    assert not report.errors
    assert (patient.language, patient.language_confirmed) == ("en", False)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        # NOW is Nov 29, 2026 (10:00 in New York): a year's typo puts the fill in 2027.
        (
            {"last_fill_date": "2027-11-03"},
            "last_fill_date '2027-11-03' is after today (2026-11-29): a fill cannot be in the "
            "future (a typo in the year?)",
        ),
        (
            {"last_fill_date": "11/30/2026"},
            "last_fill_date '11/30/2026' is after today (2026-11-29)",
        ),
        (
            {"birth_date": "2027-01-02"},
            "birth_date '2027-01-02' is after today (2026-11-29)",
        ),
    ],
)
def test_dates_after_today_reject_the_row(
    session_factory: sessionmaker[Session], changes: dict[str, str], reason: str
) -> None:
    """QA: a last fill dated 2027 was imported and planned a first pickup a year away, with
    eleven monthly visits before it; a birth date in the future was kept."""
    assert _rejected(session_factory, **changes).startswith(reason)


def test_today_is_the_pharmacys_date(session_factory: sessionmaker[Session]) -> None:
    """At 01:00 UTC on Nov 30 it is still Nov 29 in New York: a fill dated Nov 30 is refused,
    one dated Nov 29 (today there) is kept."""
    late = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)
    report = _import(session_factory, _csv(_row(last_fill_date="2026-11-30")), now=late)
    assert [e.reason for e in report.errors] == [
        "last_fill_date '2026-11-30' is after today (2026-11-29): a fill cannot be in the "
        "future (a typo in the year?)"
    ]
    report = _import(session_factory, _csv(_row(last_fill_date="2026-11-29")), now=late)
    assert not report.errors and report.rows_ok == 1
