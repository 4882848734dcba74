"""SQLite's writers, one at a time, without SQLite's growing-sleep busy loop.

SQLite lets one writer in at a time. Every MedSync transaction on SQLite is a writer (`BEGIN
IMMEDIATE`, so two texts from one patient apply one after the other, as the row lock does on
PostgreSQL). Left to itself, a connection that finds the database locked sleeps in SQLite's
busy handler in growing steps (1, 2, 5, 10 … 100 ms) and polls again, so under load a writer
often sleeps long after the lock came free: the 1-second p99 of docs/BENCHMARKS.md.

Here, in one process, writers queue on a `threading.Lock` per database file, taken before
`BEGIN IMMEDIATE` and released right after the COMMIT or ROLLBACK: the next writer starts the
moment the previous one ends. Another process on the same file (a `medsync` command next to
`medsync serve`) is met with a short busy timeout and quick retries until `WAIT_SECONDS`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

BUSY_TIMEOUT_MS = 20  # SQLite's own wait, per try, for a writer in another process
WAIT_SECONDS = 30.0  # then a transaction gives up with "database is locked"
_RETRY_PAUSE = (0.001, 0.004)  # seconds between tries against another process, jittered

_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


def _forget_locks_in_child() -> None:
    """A forked child (RQ's forking worker) starts with no writer holding anything: a lock
    held by another thread of the parent at the fork would otherwise never be released."""
    global _locks_guard
    _locks.clear()
    _locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_locks_in_child)


class WriterLock:
    """The process's writer slot for one database file, and which connection holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.holder: int | None = None

    def take(self, dbapi_connection: Any, wait: float) -> None:
        if not self._lock.acquire(timeout=wait):
            raise sqlite3.OperationalError(
                f"database is locked (another transaction in this process held it {wait:g} s)"
            )
        self.holder = id(dbapi_connection)

    def give_back(self, connection: Any) -> None:
        # SQLAlchemy hands do_commit the pool's proxy, do_close the DBAPI connection itself.
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if self.holder == id(dbapi_connection):
            self.holder = None
            self._lock.release()


def writer_lock(engine: Engine) -> WriterLock:
    """One lock per database file, shared by every engine on it in this process."""
    database = engine.url.database or ""
    key = str(Path(database).resolve()) if database and database != ":memory:" else str(id(engine))
    with _locks_guard:
        return _locks.setdefault(key, WriterLock())


def begin_immediate(dbapi_connection: Any, deadline: float) -> None:
    """BEGIN IMMEDIATE, tried again quickly while another process writes."""
    while True:
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(*_RETRY_PAUSE))


def one_writer_at_a_time(engine: Engine) -> None:
    """Install the writer lock on a SQLite engine (once; later calls change nothing)."""
    if engine.dialect.name != "sqlite" or getattr(engine.dialect, "_medsync_writers", False):
        return
    lock = writer_lock(engine)
    dialect: Any = engine.dialect
    commit, rollback, close = dialect.do_commit, dialect.do_rollback, dialect.do_close

    def begin(conn: Any) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        started = time.monotonic()
        lock.take(dbapi_connection, WAIT_SECONDS)
        try:
            begin_immediate(dbapi_connection, started + WAIT_SECONDS)
        except BaseException:
            lock.give_back(dbapi_connection)
            raise

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            lock.give_back(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            lock.give_back(dbapi_connection)

    def do_close(dbapi_connection: Any) -> None:
        try:
            close(dbapi_connection)
        finally:
            lock.give_back(dbapi_connection)

    dialect.do_commit, dialect.do_rollback, dialect.do_close = do_commit, do_rollback, do_close
    dialect._medsync_writers = True
    event.listen(engine, "begin", begin)
