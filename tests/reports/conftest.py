"""The generated program on SQLite and PostgreSQL, and an inbox app over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FrozenClock
from bot.web.app import create_app
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from tests.inbox.conftest import ADA, DANA, UMA, RecordingJobs, settings_for
from tests.inbox.conftest import cheap_hashes as cheap_hashes  # autouse, re-exported
from tests.inbox.factories import add_user
from tests.reports import program
from tests.reports.program import NOW, Program


@dataclass
class Built:
    sessions: sessionmaker[Session]
    program: Program


@pytest.fixture
def built(db_url: str) -> Iterator[Built]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        made = program.build(session)
    yield Built(sessions, made)
    engine.dispose()


@dataclass
class ReportInbox:
    built: Built
    client: TestClient

    def new_client(self) -> TestClient:
        return TestClient(self.client.app, base_url="https://testserver")


@pytest.fixture
def report_inbox(db_url: str, built: Built) -> Iterator[ReportInbox]:
    """Dana works at Riverside, Uma at Uptown only, Ada is an admin."""
    with transaction(built.sessions) as session:
        add_user(session, DANA, Role.PHARMACIST, [built.program.pharmacy_id], "Dana Reyes")
        add_user(session, UMA, Role.PHARMACIST, [built.program.other_pharmacy_id], "Uma Patel")
        add_user(session, ADA, Role.ADMIN, [], "Ada Admin")
    app = create_app(settings_for(db_url), clock=FrozenClock(NOW), jobs=RecordingJobs())
    client = TestClient(app, base_url="https://testserver")
    yield ReportInbox(built, client)
    client.close()
