"""Fault tests: throwaway PostgreSQL and Redis servers this suite starts, stops and restarts.

Under CI (CI=true) a missing binary fails the run; elsewhere the tests are skipped with the
reason (tests/conftest.py's rule for every service).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import upgrade
from tests.conftest import service_missing
from tests.faults.servers import Missing, PostgresCluster, RedisServer
from tests.helpers import seeded

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the fault tests (each test gets a database)."""
    try:
        server = PostgresCluster()
    except Missing as error:
        service_missing("A throwaway PostgreSQL", error)
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def fault_db(cluster: PostgresCluster) -> str:
    """A new, migrated database on the throwaway cluster with the demo pharmacy."""
    url = cluster.create_database(f"faults_{next(_databases)}")
    upgrade(url)
    seeded(url)
    return url


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer()
    except Missing as error:
        service_missing("A throwaway Redis", error)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
