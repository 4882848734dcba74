"""Engines, sessions and migrations. Query functions take a session and never commit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from store import sqlite_writers

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault(
            "connect_args",
            {"check_same_thread": False, "timeout": sqlite_writers.BUSY_TIMEOUT_MS / 1000},
        )
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers go on while one writer holds the lock; IMMEDIATE transactions, one
    # writer at a time in this process (store/sqlite_writers.py), make SQLite serialise
    # writers the way a row lock does on PostgreSQL. The busy timeout is short: a writer in
    # another process is waited for by quick retries, not SQLite's growing sleeps.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={sqlite_writers.BUSY_TIMEOUT_MS}")
    cursor.close()


def concurrent_writers(engine: Engine) -> int:
    """How many transactions this database can usefully run at once from one process: one
    on SQLite (its writers take turns, store/sqlite_writers.py), the connection pool's size
    elsewhere (more would only wait for a pooled connection)."""
    if engine.dialect.name == "sqlite":
        return 1
    size = getattr(engine.pool, "size", None)
    return max(1, size()) if callable(size) else 1


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    sqlite_writers.one_writer_at_a_time(engine)  # SQLite only; once per engine
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another database or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).resolve()


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations. A new SQLite file is created readable by its owner only (0600),
    and an existing one that others can read is closed to them: it holds patient data."""
    path = sqlite_file(url)
    if path is not None:
        if path.exists():
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        elif path.parent.is_dir():
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    command.upgrade(alembic_config(url), revision)


class DatabaseNotReady(Exception):
    """The database is missing, out of reach or not upgraded: the message says which, in one
    sentence, with the command that fixes it."""


def shown(url: str) -> str:
    """A database URL as a message may show it: the password hidden, a file as its path."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return ",".join(sorted(heads))


def check_ready(url: str) -> None:
    """Refuse (DatabaseNotReady) a database a command cannot use, creating nothing: a SQLite
    file that does not exist, a server that does not answer, tables not upgraded."""
    where = shown(url)
    fix = "run `medsync db upgrade`"
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise DatabaseNotReady(
            f"There is no database at {where}: create it with `medsync db upgrade` (or set "
            "MEDSYNC_DATABASE_URL to the database you use)."
        )
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0][:200]
        raise DatabaseNotReady(
            f"Could not open the database at {where} ({reason}): check MEDSYNC_DATABASE_URL "
            "and that the database server is running."
        ) from None
    finally:
        engine.dispose()
    head = head_revision()
    if not current:
        raise DatabaseNotReady(f"The database at {where} has no tables yet: {fix}.")
    found = ",".join(sorted(current))
    if found != head:
        raise DatabaseNotReady(
            f"The database at {where} is at revision {found} and this version of MedSync "
            f"needs {head}: {fix} (back the database up first)."
        )
