"""`medsync household link / unlink / show / suggest` on SQLite and PostgreSQL, with the
export's optional address column imported by `medsync import`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditEvent, Patient
from tests.helpers import TOKEN, app_client

HEADER = (
    "patient_id,first_name,last_name,birth_date,phone,phone_type,language,address,rx_number,"
    "drug_name,daily_quantity,days_supply,quantity,last_fill_date,refills_remaining,"
    "written_date,dea_schedule,prn,maintenance,package,copay"
)
ROWS = [
    'P2001,Ann,Lee,1950-01-02,(212) 555-0181,mobile,en,"12 Elm Street, Apt 4, Columbus, OH 43215",'
    "RX1,Tab A,1,30,30,2026-11-03,5,2026-04-02,,N,Y,,10.00",
    'P2002,Bo,Lee,1951-01-02,(212) 555-0182,mobile,en,"12 ELM ST APT 4 COLUMBUS OH 43215",'
    "RX2,Tab B,1,30,30,2026-11-10,5,2026-04-02,,N,Y,,10.00",
    "P2003,Cy,Day,1952-01-02,(212) 555-0183,mobile,en,,RX3,Tab C,1,30,30,2026-11-10,5,"
    "2026-04-02,,N,Y,,10.00",
]


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    app_client(db_url)  # the demo pharmacy and its patients
    return db_url


def medsync(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def test_import_suggest_link_show_unlink(db: str, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    medsync("import", str(export))
    engine = make_engine(db)
    with transaction(make_sessionmaker(engine)) as s:
        ann = s.scalars(select(Patient).where(Patient.external_id == "P2001")).one()
        cy = s.scalars(select(Patient).where(Patient.external_id == "P2003")).one()
        assert ann.address == "12 Elm Street, Apt 4, Columbus, OH 43215"
        assert cy.address is None

    suggested = medsync("household", "suggest")
    # The Millers share a phone; the Lees one address, written two ways.
    assert "same phone +16145550177:" in suggested
    assert "link them: medsync household link P1011 P1012" in suggested
    assert "same address 12 ELM ST, APT 4, COLUMBUS, OH, 43215:" in suggested
    assert "link them: medsync household link P2001 P2002" in suggested
    assert "P2003" not in suggested

    linked = medsync("household", "link", "P2001", "P2002")
    assert "P2001  Ann Lee: not enrolled" in linked and "P2002  Bo Lee" in linked
    assert "P2001 P2002" not in medsync("household", "suggest")  # linked: no longer suggested
    shown = medsync("household", "show", "P2002")
    assert shown.startswith("Household:") and "P2001  Ann Lee" in shown
    assert "P2003 is not in a household." in medsync("household", "show", "P2003")

    # A third member, then taking them out one by one.
    medsync("household", "link", "P2003", "P2001")
    assert "P2001, P2002 remain together" in medsync("household", "unlink", "P2003")
    assert "it had no one else, so it is gone" in medsync("household", "unlink", "P2001")
    assert "P2002 is not in a household." in medsync("household", "show", "P2002")
    with transaction(make_sessionmaker(engine)) as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("household.%")))
        assert list(actions) == ["household.link", "household.link"] + ["household.unlink"] * 2
    engine.dispose()


def test_bad_input_is_a_sentence(db: str) -> None:
    assert "Name two or more different patients" in medsync("household", "link", "P1011", ok=False)
    assert "Name two or more" in medsync("household", "link", "P1011", "P1011", ok=False)
    assert "No patient P9999 at this pharmacy." in medsync(
        "household", "link", "P1011", "P9999", ok=False
    )
    assert "P1011 is not in a household." in medsync("household", "unlink", "P1011", ok=False)
    medsync("household", "link", "P1011", "P1012")
    medsync("household", "link", "P1001", "P1002")
    refused = medsync("household", "link", "P1011", "P1001", ok=False)
    assert "in different households already: unlink P1001 or P1011 first." in refused
