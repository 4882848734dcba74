"""A fresh, migrated database for one benchmark run, and a pharmacy with generated patients."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import phonenumbers
from sqlalchemy import text

from bot.imports.pharmacy_export import import_export
from store.db import make_engine, make_sessionmaker, transaction, upgrade
from store.models import Pharmacy
from tests.bench import generate

POSTGRES = os.environ.get(
    "MEDSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PHARMACY_NUMBER = "+12125550100"


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """`sqlite` (a file in `folder`) or `postgresql` (a schema of its own on the test server,
    dropped afterwards, so test runs and other benchmarks on the server are left alone)."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        upgrade(url)
        yield url
        return
    schema = f"medsync_bench_{os.getpid()}"
    engine = make_engine(POSTGRES)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def seed_patients(url: str, patients: int, now: dt.datetime) -> list[str]:
    """One pharmacy texting from PHARMACY_NUMBER with `patients` generated patients; their
    phones in E.164, in generation order."""
    export = io.StringIO()
    generate.write(export, patients, rx_per_patient=2)
    export.seek(0)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        pharmacy = Pharmacy(
            name="Bench Pharmacy",
            phone="+12125550199",
            twilio_number=PHARMACY_NUMBER,
            timezone="America/New_York",
            state="NY",
            created_at=now,
        )
        session.add(pharmacy)
        session.flush()
        import_export(session, pharmacy, export, now)
    engine.dispose()
    return [e164(generate.phone_for(n)) for n in range(patients)]


def e164(raw: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(raw, "US"), phonenumbers.PhoneNumberFormat.E164
    )
