"""A language the patient chose is kept (issue 20), end to end on SQLite and PostgreSQL: the
patient texts "Español" through the signed webhook, the pharmacy re-imports its export with
language=en through `medsync import`, and the patient is still written to in Spanish; the
import says so, and the patient page says which language applies and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import transaction
from store.models import Patient
from tests.helpers import Phone
from tests.inbox.conftest import Inbox
from tests.inbox.factories import patient

EXPORT = Path(__file__).resolve().parents[2] / "bot" / "imports" / "demo_export.csv"
MARGARET = "+12125550123"  # P1001, English in the export


def _import(inbox: Inbox, monkeypatch: pytest.MonkeyPatch, path: Path) -> str:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", inbox.url)
    result = CliRunner().invoke(
        main, ["import", str(path), "--pharmacy", "Main Street Pharmacy"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def _language(inbox: Inbox, external_id: str) -> tuple[str, str | None, str | None, str | None]:
    with transaction(inbox.sessions) as s:
        p = s.scalars(
            select(Patient).where(
                Patient.external_id == external_id, Patient.pharmacy_id == inbox.ids["main"]
            )
        ).one()
        return p.language, p.language_source, p.language_set_via, p.export_language


def test_a_language_chosen_by_text_survives_a_reimport(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _language(inbox, "P1001") == ("en", "export", None, "en")
    phone = Phone(inbox.client, MARGARET)
    (changed,) = phone.text("Español")
    assert changed == "De acuerdo, le escribiremos en español."
    assert _language(inbox, "P1001") == ("es", "patient", "sms", "en")

    output = _import(inbox, monkeypatch, EXPORT)  # P1001's rows say language=en
    assert "1 patient kept the language they chose by text or on a call, not the export's" in output
    assert _language(inbox, "P1001") == ("es", "patient", "sms", "en")
    (answer,) = phone.text("hola")
    assert answer.startswith("Hola Margaret, le escribe Main Street Pharmacy")  # in Spanish

    inbox.sign_in()
    with transaction(inbox.sessions) as s:
        margaret, lan = patient(s, "P1001").id, patient(s, "P1003").id
    page = inbox.client.get(f"/patients/{margaret}")
    assert page.status_code == 200
    assert "Spanish — chosen by the patient by text on Nov 29, 2026" in page.text
    assert "The pharmacy's export says English; the patient's own choice applies" in (page.text)
    other = inbox.client.get(f"/patients/{lan}").text
    assert "Vietnamese — from the pharmacy&#39;s export" in other
    assert "export says" not in other


def test_the_exports_language_applies_until_the_patient_chooses(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    changed = tmp_path / "export.csv"
    lines = EXPORT.read_text(encoding="utf-8").splitlines(keepends=True)
    changed.write_text(
        "".join(line.replace(",mobile,en,", ",mobile,es,") for line in lines), encoding="utf-8"
    )
    output = _import(inbox, monkeypatch, changed)
    assert "kept the language" not in output
    assert _language(inbox, "P1001") == ("es", "export", None, "es")
