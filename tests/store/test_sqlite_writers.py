"""SQLite's writers queue on one lock in the process, not in SQLite's growing-sleep busy loop
(store/sqlite_writers.py); another process's writer is waited for by quick retries."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from store import sqlite_writers
from store.db import make_engine, make_sessionmaker, transaction


def counter_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    engine.dispose()
    return url


def test_pragmas_wal_and_a_short_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(counter_db(tmp_path))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        busy = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert busy == sqlite_writers.BUSY_TIMEOUT_MS <= 50
    engine.dispose()


def test_many_threads_write_without_losing_one(tmp_path: Path) -> None:
    """16 threads, two engines on one file (as the app and a command in one process): every
    read-modify-write applies, none fails, none waits long."""
    url = counter_db(tmp_path)
    engines = [make_engine(url), make_engine(url)]
    factories = [make_sessionmaker(e) for e in engines]
    waits: list[float] = []
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for _ in range(25):
                asked = time.perf_counter()
                with transaction(factories[index % 2]) as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    waits.append(time.perf_counter() - asked)
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(factories[0]) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 16 * 25
    assert max(waits) < 5.0
    for engine in engines:
        engine.dispose()


def test_a_writer_in_another_process_is_waited_for_by_retries(tmp_path: Path) -> None:
    """A connection outside the lock (as another process is) holds the write lock for 0.4 s,
    far past the busy timeout: the transaction retries and goes through afterwards."""
    url = counter_db(tmp_path)
    other = sqlite3.connect(str(tmp_path / "w.db"), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE counter SET n = 100")
    threading.Timer(0.4, lambda: other.execute("COMMIT")).start()
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(make_sessionmaker(engine)) as session:
        n = session.execute(text("SELECT n FROM counter")).scalar_one()  # BEGIN IMMEDIATE
        waited = time.perf_counter() - started
        session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
    assert 0.3 < waited < 5
    with transaction(make_sessionmaker(engine)) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 101
    engine.dispose()
    other.close()


def test_a_lock_held_too_long_ends_in_a_clear_error_and_frees_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writers, "WAIT_SECONDS", 0.3)
    url = counter_db(tmp_path)
    other = sqlite3.connect(str(tmp_path / "w.db"), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with pytest.raises(Exception, match="database is locked"), transaction(sessions) as session:
        session.execute(text("SELECT n FROM counter"))
    other.execute("ROLLBACK")
    # The failed attempt left the process's writer slot free.
    with transaction(sessions) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 0
    engine.dispose()
    other.close()


def test_a_rolled_back_transaction_frees_the_slot(tmp_path: Path) -> None:
    sessions = make_sessionmaker(make_engine(counter_db(tmp_path)))
    with pytest.raises(ZeroDivisionError), transaction(sessions) as session:
        session.execute(text("UPDATE counter SET n = 5"))
        1 / 0  # noqa: B018
    done = threading.Event()

    def other_thread() -> None:
        with transaction(sessions) as session:
            session.execute(text("SELECT n FROM counter"))
        done.set()

    threading.Thread(target=other_thread).start()
    assert done.wait(2)
