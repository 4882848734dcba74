"""Every migration upgrades a database that holds data, and downgrades back, on both databases.

The walk starts empty and climbs one revision at a time. At each revision every table that
exists gets one more row (values read off the table itself: its columns, their types, its
foreign keys and the values its CHECK constraints allow), so each upgrade runs over rows
written by every earlier revision. At the head the rows are all still there; then the walk
goes down one revision at a time to the start, each step over the same rows, and up again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    inspect,
    text,
)

from store.db import alembic_config, make_engine
from tests.conftest import SERVER_URL, service_missing

SCHEMA = f"medsync_walk_{os.getpid()}"
_ALLOWED = re.compile(r"(\w+)\s+IN\s*\(([^)]*)\)", re.IGNORECASE)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'walk.db'}"
        return
    try:
        admin = make_engine(SERVER_URL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    except Exception as error:  # any driver error means the server is not usable
        service_missing("PostgreSQL", error)
    joiner = "&" if "?" in SERVER_URL else "?"
    yield f"{SERVER_URL}{joiner}options=-csearch_path%3D{SCHEMA}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _allowed_values(engine: Engine, table: str) -> dict[str, str]:
    """A value each CHECK-constrained column accepts (the stored form of an enum)."""
    found: dict[str, str] = {}
    for check in inspect(engine).get_check_constraints(table):
        for column, values in _ALLOWED.findall(check.get("sqltext", "")):
            first = re.findall(r"'([^']*)'", values)
            if first:
                found.setdefault(column.strip('"'), first[0])
    return found


def _value(table: Table, column: Any, step: int, allowed: dict[str, str]) -> Any:
    if column.name in allowed:
        return allowed[column.name]
    kind = column.type
    day = dt.date(2026, 1, 1) + dt.timedelta(days=step)
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return step + 1
    if isinstance(kind, Numeric | Float):
        return Decimal("1.50") if isinstance(kind, Numeric) else 1.5
    if isinstance(kind, DateTime):
        return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    if isinstance(kind, Date):
        return day
    if isinstance(kind, JSON) or "JSON" in type(kind).__name__.upper():
        return {}
    if isinstance(kind, String):
        text_value = f"{column.name[:8]}-{table.name[:8]}-{step}"
        return text_value[: kind.length] if kind.length else text_value
    return f"{step}"


def _fill(engine: Engine, step: int, written: dict[str, int]) -> None:
    """One more row in every table, parents before children; a child points at this step's
    parent row. `written` counts the rows put in each table."""
    meta = MetaData()
    meta.reflect(engine)
    ids: dict[str, Any] = {}
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            allowed = _allowed_values(engine, table.name)
            row: dict[str, Any] = {}
            for column in table.columns:
                parents = [fk.column.table.name for fk in column.foreign_keys]
                if parents and parents[0] in ids:
                    row[column.name] = ids[parents[0]]
                elif (
                    column.primary_key
                    and isinstance(column.type, Integer)
                    and column.autoincrement is not False
                ):
                    continue  # the database numbers it (not audit_chain's: a pharmacy's id)
                elif parents:
                    row[column.name] = None  # a parent this table does not need (nullable)
                else:
                    row[column.name] = _value(table, column, step, allowed)
            result = conn.execute(table.insert().values(**row))
            key = result.inserted_primary_key
            ids[table.name] = key[0] if key else None
            written[table.name] = written.get(table.name, 0) + 1


def _counts(engine: Engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in meta.tables
            if name != "alembic_version"
        }


def test_every_migration_upgrades_and_downgrades_over_data(empty_url: str) -> None:
    config = alembic_config(empty_url)
    revisions = _revisions(empty_url)
    engine = make_engine(empty_url)
    written: dict[str, int] = {}
    try:
        for step, revision in enumerate(revisions):
            command.upgrade(config, revision)
            _fill(engine, step, written)
        at_head = _counts(engine)
        # (A migration may add rows of its own: 0019 writes the audit chains' heads.)
        lost = {t: (n, at_head.get(t, 0)) for t, n in written.items() if at_head.get(t, 0) < n}
        assert not lost, f"an upgrade lost rows: {lost}"
        for revision in reversed(revisions[:-1]):
            command.downgrade(config, revision)
            kept = _counts(engine)
            # A table that survives a downgrade keeps every row it had.
            assert {t: kept[t] for t in kept if t in at_head} == {
                t: at_head[t] for t in kept if t in at_head
            }, f"downgrading to {revision} lost rows"
        command.downgrade(config, "base")
        assert _counts(engine) == {}
        command.upgrade(config, "head")
        assert set(_counts(engine)) == set(at_head)
    finally:
        engine.dispose()
