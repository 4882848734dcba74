"""Dispensing events through `medsync import` on SQLite and PostgreSQL (issue 16): the fills
file's event columns, FHIR MedicationDispense bundles, and bad input answered row by row."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.program.adherence import program_adherence
from store.dispensing import DispensingEvent
from store.fills import Fill
from tests.adherence.world import (
    D,
    cli_db,  # noqa: F401 (a fixture)
    invoke,
    medsync,
    pharmacy,
    rx_row,
    session_for,
    write_export,
)

EVENTS = """patient_id,rx_number,fill_date,days_supply,quantity,event,event_id,event_date
P1,RX1,2026-11-12,30,30,dispensed,EV-1,
P1,RX1,2026-11-12,,,picked_up,EV-2,2026-11-15
P2,RX2,2026-11-12,30,30,dispensed,EV-3,
P2,RX2,2026-11-12,,,returned_to_stock,EV-4,2026-11-24
"""


@pytest.fixture
def two_patients(cli_db: str, tmp_path: Path) -> str:  # noqa: F811
    write_export(
        tmp_path / "export.csv",
        [
            rx_row("P1", 1, "RX1", "Atorvastatin 40 mg tablet", D(2026, 10, 12)),
            rx_row("P2", 2, "RX2", "Losartan 50 mg tablet", D(2026, 10, 12)),
        ],
    )
    medsync("import", str(tmp_path / "export.csv"))
    return cli_db


def fills(db_url: str) -> list[tuple[str, str, int, Decimal, str, str | None]]:
    with session_for(db_url) as session:
        return [
            (
                f.rx_number,
                f.fill_date.isoformat(),
                f.days_supply,
                f.quantity,
                f.state,
                f.picked_up_on.isoformat() if f.picked_up_on else None,
            )
            for f in session.scalars(select(Fill).order_by(Fill.rx_number, Fill.fill_date))
        ]


def test_event_columns_move_fills_and_a_reimport_changes_nothing(
    two_patients: str, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(EVENTS, encoding="utf-8")
    first = medsync("import", str(path)).splitlines()
    assert first == [
        "Imported 4 fill rows: 2 fills created, 0 updated, 0 unchanged.",
        "4 dispensing events recorded, 0 seen before (unchanged).",
        "No rows rejected.",
    ]
    expected = [
        ("RX1", "2026-11-12", 30, Decimal("30.000"), "picked_up", "2026-11-15"),
        ("RX2", "2026-11-12", 30, Decimal("30.000"), "returned_to_stock", None),
    ]
    assert fills(two_patients) == expected
    again = medsync("import", str(path)).splitlines()
    assert again[:2] == [
        "Imported 4 fill rows: 0 fills created, 0 updated, 4 unchanged.",
        "0 dispensing events recorded, 4 seen before (unchanged).",
    ]
    assert fills(two_patients) == expected
    with session_for(two_patients) as session:
        assert len(session.scalars(select(DispensingEvent)).all()) == 4


def test_bad_rows_are_named_and_the_rest_kept(two_patients: str, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(EVENTS, encoding="utf-8")
    medsync("import", str(path))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "patient_id,rx_number,fill_date,days_supply,quantity,event,event_id,event_date\n"
        "P9,RX1,2026-11-12,30,30,dispensed,EV-9,\n"
        "P1,RX7,2026-11-12,30,30,dispensed,EV-10,\n"
        "P1,RX1,2026-11-12,,,picked_up,EV-2,2026-11-16\n"
        "P1,RX1,2026-11-12,30,30,handed,EV-11,\n"
        "P2,RX2,2026-11-20,30,30,dispensed,EV-12,\n"
        "P2,RX2,2026-10-01,,,reversed,EV-13,\n",
        encoding="utf-8",
    )
    lines = medsync("import", str(bad)).splitlines()
    assert lines[0] == "Imported 1 fill row: 1 fill created, 0 updated, 0 unchanged."
    assert lines[2:] == [
        "5 rows rejected:",
        "  line 2 (P9, RX1): patient_id 'P9' is not a patient of Main Street Pharmacy "
        "(import the patients' export first)",
        "  line 3 (P1, RX7): rx_number 'RX7' is not a prescription of patient 'P1' "
        "(import the patients' export first)",
        "  line 4 (P1, RX1): event_id 'EV-2' was recorded before with other content (picked_up "
        "of RX1 filled 2026-11-12 on 2026-11-15); send a new event_id for a new event",
        "  line 5 (P1, RX1): event 'handed' is not one of dispensed, picked_up, "
        "returned_to_stock, reversed",
        "  line 7 (P2, RX2): there is no fill of RX2 on 2026-10-01 to mark reversed",
    ]
    assert ("RX2", "2026-11-20", 30, Decimal("30.000"), "dispensed", None) in fills(two_patients)


def dispense(
    identifier: str,
    status: str,
    rx: str,
    prepared: str,
    handed: str | None = None,
    patient: str = "P1",
    days: int | None = 30,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "identifier": [{"system": "urn:pharmacy:dispense", "value": identifier}],
        "status": status,
        "medicationCodeableConcept": {"text": "as dispensed"},
        "subject": {"identifier": {"system": "urn:pharmacy:patient", "value": patient}},
        "authorizingPrescription": [{"identifier": {"value": rx}}],
        "whenPrepared": prepared,
        "quantity": {"value": 30, "unit": "tablet"},
    }
    if days is not None:
        resource["daysSupply"] = {"value": days, "unit": "d", "code": "d"}
    if handed:
        resource["whenHandedOver"] = handed
    return {"fullUrl": f"urn:uuid:{identifier}", "resource": resource}


def bundle(*entries: dict[str, Any]) -> str:
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": list(entries)})


def test_a_fhir_bundle_gives_the_same_fills_as_the_fills_file(
    two_patients: str, tmp_path: Path
) -> None:
    path = tmp_path / "dispenses.json"
    path.write_text(
        bundle(
            dispense(
                "MD-1", "completed", "RX1", "2026-11-12T09:00:00-05:00", "2026-11-15T16:30:00-05:00"
            ),
            dispense("MD-2", "completed", "RX2", "2026-11-12"),
            dispense("MD-4", "declined", "RX2", "2026-10-30", patient="P2"),
            dispense("MD-3", "completed", "RX2", "2026-11-12", patient="P2"),
            dispense("MD-3", "declined", "RX2", "2026-11-12", patient="P2"),
        ),
        encoding="utf-8",
    )
    lines = medsync("import", str(path)).splitlines()
    assert lines[0] == "Recorded 3 dispensing events, 0 unchanged: 2 fills created, 0 updated."
    assert lines[1:] == [
        "2 events rejected:",
        "  entry 2 (P1, RX2, MD-2#dispensed): rx_number 'RX2' is not a prescription of "
        "patient 'P1' (import the patients' export first)",
        "  entry 3 (P2, RX2, MD-4#returned_to_stock): there is no fill of RX2 on 2026-10-30 "
        "to mark returned_to_stock",
    ]
    fhir_state = fills(two_patients)
    assert medsync("import", str(path)).splitlines()[0] == (
        "Recorded 0 dispensing events, 3 unchanged: 0 fills created, 0 updated."
    )
    # The same month from the fills file, in a fresh pharmacy: the same fills.
    with session_for(two_patients) as session:
        session.execute(Fill.__table__.delete())
        session.execute(DispensingEvent.__table__.delete())
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    medsync("import", str(events))
    assert fills(two_patients) == fhir_state


def test_a_malformed_bundle_is_refused_with_a_sentence_and_bad_entries_are_named(
    two_patients: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    result = invoke("import", str(broken))
    assert result.exit_code != 0
    assert "The file is not JSON (line 1" in result.output and "Traceback" not in result.output
    other = tmp_path / "patient.json"
    other.write_text('{"resourceType": "Patient"}', encoding="utf-8")
    assert "is not a FHIR Bundle" in invoke("import", str(other)).output
    mixed = tmp_path / "mixed.json"
    no_subject = dispense("MD-9", "completed", "RX1", "2026-11-12")
    del no_subject["resource"]["subject"]
    wrong_status = dispense("MD-8", "in-progress", "RX1", "2026-11-12")
    invalid = dispense("MD-7", "completed", "RX1", "2026-11-12")
    invalid["resource"]["quantity"] = {"value": "lots"}
    mixed.write_text(
        bundle(
            {"resource": {"resourceType": "Observation", "status": "final"}},
            no_subject,
            wrong_status,
            invalid,
            dispense("MD-6", "completed", "RX1", "2026-11-12", "2026-11-14"),
        ),
        encoding="utf-8",
    )
    lines = medsync("import", str(mixed)).splitlines()
    assert lines[0] == "Recorded 1 dispensing event, 0 unchanged: 1 fill created, 0 updated."
    assert lines[1] == "4 events rejected:"
    assert lines[2] == "  entry 1: a Observation is not read here (only MedicationDispense)"
    assert lines[3].startswith("  entry 2 (RX1, MD-9): subject.identifier.value")
    assert lines[4] == (
        "  entry 3 (P1, RX1, MD-8): status 'in-progress' is not read "
        "(only completed, declined, entered-in-error)"
    )
    assert lines[5].startswith("  entry 4: not a valid MedicationDispense: quantity")
    assert fills(two_patients) == [
        ("RX1", "2026-11-12", 30, Decimal("30.000"), "picked_up", "2026-11-14")
    ]


def test_adherence_reads_the_same_records_reversed_fills_do_not_count(
    two_patients: str, tmp_path: Path
) -> None:
    rows = ["patient_id,rx_number,fill_date,days_supply,quantity,event,event_id,event_date"]
    for n, month in enumerate(range(1, 7)):
        rows.append(f"P1,RX1,2026-{month:02d}-01,30,30,dispensed,F{n},")
    rows.append("P1,RX1,2026-03-01,,,reversed,R1,2026-03-02")
    rows.append("P1,RX1,2026-04-01,,,reversed,R2,2026-04-02")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    medsync("import", str(path))
    with session_for(two_patients) as session:
        result = program_adherence(session, pharmacy(session).id, D(2026, 1, 1), D(2026, 6, 30))
        (row,) = [r for r in result.rows if r.therapy_class == "statins"]
        # Jan, Feb, May and Jun cover 30 days each: 120 of 181 days.
        assert row.before == Decimal("66.3")


def test_full_is_refused_for_a_bundle_as_for_a_fills_file(
    two_patients: str, tmp_path: Path
) -> None:
    """QA: `medsync import --full dispenses.json` recorded the bundle and ignored --full (a
    fills file with --full is refused): the pharmacist believed they had marked absent
    prescriptions inactive. Now one sentence, and nothing is recorded."""
    path = tmp_path / "dispenses.json"
    path.write_text(bundle(dispense("MD-1", "completed", "RX1", "2026-11-01")), encoding="utf-8")
    result = invoke("import", "--full", str(path))
    assert result.exit_code == 1
    assert result.output == (
        "Error: --full is for the patients' export, not a FHIR bundle of dispensing events.\n"
    )
    assert fills(two_patients) == []


def test_a_fill_dated_after_today_is_a_bad_row_and_the_rest_are_kept(
    two_patients: str, tmp_path: Path
) -> None:
    """QA: the export refused a last fill dated after today, but the fills file, a FHIR bundle
    and the API kept one (2027 typed for 2026). Today is the pharmacy's (New York); a fill
    dated today is kept."""
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    future = (
        today.replace(year=today.year + 1)
        if (today.month, today.day) != (2, 29)
        else (today + dt.timedelta(days=365))
    )
    tomorrow = today + dt.timedelta(days=2)  # after today in New York whatever the UTC hour
    path = tmp_path / "events.csv"
    path.write_text(
        "patient_id,rx_number,fill_date,days_supply,quantity,event,event_id,event_date\n"
        f"P1,RX1,{today},30,30,dispensed,EV-1,\n"
        f"P2,RX2,{future},30,30,dispensed,EV-2,\n"
        f"P2,RX2,{future},,,picked_up,EV-3,{future}\n",
        encoding="utf-8",
    )
    lines = medsync("import", str(path)).splitlines()
    assert lines[0] == "Imported 1 fill row: 1 fill created, 0 updated, 0 unchanged."
    assert lines[2:] == [
        "2 rows rejected:",
        f"  line 3 (P2, RX2): fill_date '{future}' is after today ({today}): a fill cannot be "
        "in the future (a typo in the year?)",
        f"  line 4 (P2, RX2): fill_date '{future}' is after today ({today}): a fill cannot be "
        "in the future (a typo in the year?)",
    ]
    assert [(f[0], f[1]) for f in fills(two_patients)] == [("RX1", today.isoformat())]
    bundle_path = tmp_path / "dispenses.json"
    bundle_path.write_text(
        bundle(
            dispense("MD-1", "completed", "RX2", f"{tomorrow}T09:00:00-05:00", patient="P2"),
            dispense("MD-2", "completed", "RX2", str(today), patient="P2"),
        ),
        encoding="utf-8",
    )
    lines = medsync("import", str(bundle_path)).splitlines()
    assert lines == [
        "Recorded 1 dispensing event, 0 unchanged: 1 fill created, 0 updated.",
        "1 event rejected:",
        f"  entry 1 (P2, RX2, MD-1#dispensed): fill_date '{tomorrow}' is after today ({today}): "
        "a fill cannot be in the future (a typo in the year?)",
    ]
    assert [(f[0], f[1]) for f in fills(two_patients)] == [
        ("RX1", today.isoformat()),
        ("RX2", today.isoformat()),
    ]
