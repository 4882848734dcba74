"""Demo data for `medsync serve --demo`: one pharmacy and the sample export's patients."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.imports.demo_fills import FILLS
from bot.imports.fills import import_fills
from bot.imports.pharmacy_export import import_export
from store.models import Pharmacy

EXPORT = Path(__file__).with_name("demo_export.csv")
DEMO_PATIENT_PHONE = "+12125550123"
DEMO_PATIENT_NAME = "Margaret Okafor (P1001)"


def seed(session: Session, now: dt.datetime) -> list[str]:
    """Create the demo pharmacy and import the sample export, once."""
    if session.scalar(select(Pharmacy).limit(1)) is not None:
        return ["Demo data already present: keeping what is in the database."]
    pharmacy = Pharmacy(
        name="Main Street Pharmacy",
        phone="+12125550199",
        twilio_number="+12125550100",
        timezone="America/New_York",
        state="NY",
        created_at=now,
    )
    session.add(pharmacy)
    session.flush()
    with EXPORT.open(encoding="utf-8") as f:
        report = import_export(session, pharmacy, f, now)
    with FILLS.open(encoding="utf-8") as f:
        fills = import_fills(session, pharmacy, f, now)
    return [
        "Demo pharmacy: Main Street Pharmacy, texting from +1 212-555-0100.",
        report.summary(),
        fills.summary(),
    ]


def read_token(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


def auth_token(path: Path) -> str:
    """The demo's Twilio auth token: generated once, kept beside the database."""
    token = read_token(path)
    if not token:
        token = secrets.token_hex(16)
        # Created readable by its owner only, with no moment when others could read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as f:
            f.write(token + "\n")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return token
