"""Shared fixtures: real SQLite and PostgreSQL stores, real Redis.

Under CI (CI=true) a service that does not answer fails the run; on a developer's machine
the test is skipped with the reason, so it never passes silently.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_sessionmaker, upgrade

SERVER_URL = os.environ.get(
    "MEDSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Each test run gets its own schema (and Redis database), so runs side by side on one
# machine never see each other's rows.
SCHEMA = f"medsync_test_{os.getpid()}"
POSTGRES_URL = f"{SERVER_URL}{'&' if '?' in SERVER_URL else '?'}options=-csearch_path%3D{SCHEMA}"
REDIS_SERVER = "redis://127.0.0.1:6379"
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # a Sunday, 10:00 in New York


def service_missing(name: str, error: Exception) -> None:
    message = f"{name} is not reachable: {error}"
    if UNDER_CI:
        pytest.fail(message + " (CI must start it: see .ci/run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_tables(postgres_ready: str) -> str:
    """Every table the migrations made, whichever module defines its model."""
    engine = make_engine(postgres_ready)
    found = MetaData()
    found.reflect(engine)
    engine.dispose()
    return ", ".join(t for t in found.tables if t != "alembic_version")


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    try:
        engine = make_engine(SERVER_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    except Exception as error:  # any driver error means the server is not usable
        service_missing("PostgreSQL", error)
    upgrade(POSTGRES_URL)
    yield POSTGRES_URL
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def _truncate_postgres(engine: Engine, names: str) -> None:
    """Empty every table between tests. The append-only tables refuse TRUNCATE with a
    trigger (migration 0019), whoever asks; the tests connect as a superuser, the one role
    that may switch ordinary triggers off for its own transaction (replica mode), and do so
    here alone. The app's role cannot truncate at all (docs/SECURITY.md)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "medsync.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_ready")
    engine = make_engine(url)
    _truncate_postgres(engine, request.getfixturevalue("postgres_tables"))
    engine.dispose()
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, for tests whose subject is not the database."""
    path = tmp_path / "medsync.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def redis_database() -> Iterator[str]:
    """A Redis database for this test run alone: one of 8 to 15, claimed with a key in
    database 0 so test runs side by side never empty each other's queues. With
    MEDSYNC_TEST_REDIS_URL set, that database is used as it is."""
    import redis

    given = os.environ.get("MEDSYNC_TEST_REDIS_URL")
    if given:
        yield given
        return
    try:
        claims = redis.Redis.from_url(f"{REDIS_SERVER}/0")
        claims.ping()
    except Exception as error:
        service_missing("Redis", error)
    for number in range(8, 16):
        key = f"medsync-test-run:{number}"
        if claims.set(key, os.getpid(), nx=True, ex=3 * 3600):
            break
        owner = claims.get(key)
        if owner is not None and not _running(int(owner)):  # a run that was killed
            claims.set(key, os.getpid(), ex=3 * 3600)
            break
    else:
        pytest.fail("All eight Redis test databases (8-15) are in use by other test runs.")
    yield f"{REDIS_SERVER}/{number}"
    claims.delete(key)
    claims.close()


@pytest.fixture
def redis_url(redis_database: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(redis_database)
        client.ping()
        client.flushdb()
        client.close()
    except Exception as error:
        service_missing("Redis", error)
    return redis_database
