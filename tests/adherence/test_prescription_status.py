"""Prescriptions that end leave the plan (issue 16): the export's `status` column and
`medsync import --full`, on SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from store.models import AuditEvent, Prescription
from tests.adherence.world import (
    D,
    cli_db,  # noqa: F401 (a fixture)
    invoke,
    medsync,
    rx_row,
    session_for,
    write_export,
)


def rows(status: dict[str, str] | None = None, only: str | None = None) -> list[dict[str, str]]:
    made = [
        rx_row("P1", 1, "RX1", "Atorvastatin 40 mg tablet", D(2026, 11, 20)),
        rx_row("P1", 1, "RX2", "Lisinopril 10 mg tablet", D(2026, 11, 25)),
        rx_row("P1", 1, "RX3", "Metformin 500 mg tablet", D(2026, 11, 28)),
        rx_row("P2", 2, "RX4", "Losartan 50 mg tablet", D(2026, 11, 22)),
    ]
    for row in made:
        row["status"] = (status or {}).get(row["rx_number"], "")
    return [r for r in made if only is None or r["patient_id"] == only]


def statuses(db_url: str) -> dict[str, str]:
    with session_for(db_url) as session:
        return {rx.rx_number: rx.status for rx in session.scalars(select(Prescription))}


def test_the_status_column_takes_a_prescription_out_of_the_plan_audited(
    cli_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    export = write_export(tmp_path / "export.csv", rows())
    medsync("import", str(export))
    assert "RX2" in medsync("plan", "P1", "--json")
    write_export(export, rows({"RX2": "Discontinued"}))
    lines = medsync("import", str(export)).splitlines()
    assert lines[1:] == [
        "1 prescription changed status:",
        "  P1, RX2: active -> discontinued",
        "No rows rejected.",
    ]
    assert statuses(cli_db) == {
        "RX1": "active",
        "RX2": "discontinued",
        "RX3": "active",
        "RX4": "active",
    }
    plan = json.loads(medsync("plan", "P1", "--json"))
    assert "RX2" not in json.dumps(plan) and "RX1" in json.dumps(plan)
    with session_for(cli_db) as session:
        (audit,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "prescription_status")
        ).all()
        assert audit.actor == "medsync import"
        assert audit.before == {"status": "active"}
        assert audit.after is not None and audit.after["status"] == "discontinued"
        rx2 = session.scalars(select(Prescription).where(Prescription.rx_number == "RX2")).one()
        assert rx2.status_changed_at is not None and audit.subject == f"prescription:{rx2.id}"
    write_export(export, rows({"RX2": "retired"}))
    lines = medsync("import", str(export)).splitlines()
    assert lines[-1] == (
        "  line 3 (P1, RX2): status 'retired' is not one of active, inactive, discontinued, "
        "transferred (or blank)"
    )
    assert statuses(cli_db)["RX2"] == "discontinued"  # a bad row changes nothing


def test_full_makes_the_absent_inactive_never_deleted_and_they_come_back(
    cli_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    export = write_export(tmp_path / "export.csv", rows())
    medsync("import", str(export))
    only_p1 = write_export(tmp_path / "p1.csv", rows(only="P1"))
    lines = medsync("import", "--full", str(only_p1)).splitlines()
    assert lines[1:] == [
        "1 prescription not in this full export marked inactive (kept, never deleted; "
        "out of the sync plan):",
        "  P2, RX4",
        "No rows rejected.",
    ]
    assert statuses(cli_db)["RX4"] == "inactive"
    assert "marked inactive" not in medsync("import", "--full", str(only_p1))
    # Without --full an absent prescription is left alone; listed again, it is active again.
    lines = medsync("import", str(export)).splitlines()
    assert lines[1:3] == ["1 prescription changed status:", "  P2, RX4: inactive -> active"]
    assert set(statuses(cli_db).values()) == {"active"}
    # A rejected row in a full export is not "absent": its prescription is kept active.
    broken = rows(only="P1")
    broken[0]["phone"] = "555-0100"
    write_export(only_p1, broken)
    lines = medsync("import", "--full", str(only_p1)).splitlines()
    assert "  P2, RX4" in lines and "  P1, RX1" not in lines
    assert statuses(cli_db) == {
        "RX1": "active",
        "RX2": "active",
        "RX3": "active",
        "RX4": "inactive",
    }
    refused = invoke("import", "--full", "--fills", str(only_p1))
    assert refused.exit_code != 0 and "--full is for the patients' export" in refused.output
