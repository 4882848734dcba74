"""An inbox with the demo pharmacy, three staff accounts and a second pharmacy, on SQLite
and PostgreSQL; a browser-like client (https, cookies) and a frozen clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FrozenClock
from bot.imports import demo
from bot.inbox import auth
from bot.settings import Settings
from bot.web.app import create_app
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from tests.helpers import NOW, PUBLIC_URL, TOKEN
from tests.inbox import factories

DANA = "dana@example.org"  # pharmacist at Main Street
TOM = "tom@example.org"  # technician at Main Street
ADA = "ada@example.org"  # admin: every pharmacy
UMA = "uma@example.org"  # pharmacist at Uptown only


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the cheapest parameters: the suite signs in hundreds of times."""
    monkeypatch.setattr(auth, "hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


@dataclass
class RecordingJobs:
    """The Jobs interface: the inbox hands over message ids after its commit."""

    sent: list[int] = field(default_factory=list)

    def send(self, message_id: int) -> None:
        self.sent.append(message_id)


@dataclass
class Inbox:
    url: str
    sessions: sessionmaker[Session]
    clock: FrozenClock
    jobs: RecordingJobs
    client: TestClient
    ids: dict[str, int]

    def sign_in(self, email: str = DANA, password: str = factories.PASSWORD) -> TestClient:
        sign_in(self.client, email, password)
        return self.client

    def new_client(self) -> TestClient:
        """A second browser on the same server."""
        return TestClient(self.client.app, base_url="https://testserver")


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = factories.PASSWORD) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": "/inbox"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/inbox"


def post_form(client: TestClient, page: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    """Submit a form the way a browser does: the CSRF token from the page it is on."""
    html = client.get(page).text
    data = {"csrf_token": csrf_from(html), **fields}
    if "reply_key" not in fields:
        key = re.search(r'name="reply_key" value="([^"]+)"', html)
        if key and action.endswith("/reply"):
            data["reply_key"] = key.group(1)
    return client.post(action, data=data, follow_redirects=False)


def settings_for(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        twilio_auth_token=TOKEN,
        public_url=PUBLIC_URL,
        sender="null",
        secret_key="inbox-test-secret-key-0123456789",
    )


@pytest.fixture
def inbox(db_url: str) -> Iterator[Inbox]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        main = factories.main_pharmacy(session)
        uptown, una = factories.uptown(session)
        ids = {
            "main": main.id,
            "uptown": uptown.id,
            "una": una.id,
            "dana": factories.add_user(session, DANA, Role.PHARMACIST, [main.id], "Dana Reyes").id,
            "tom": factories.add_user(session, TOM, Role.TECHNICIAN, [main.id], "Tom Lee").id,
            "ada": factories.add_user(session, ADA, Role.ADMIN, [], "Ada Admin").id,
            "uma": factories.add_user(session, UMA, Role.PHARMACIST, [uptown.id], "Uma Patel").id,
        }
    clock = FrozenClock(NOW)
    jobs = RecordingJobs()
    app = create_app(settings_for(db_url), clock=clock, jobs=jobs)
    # Secure cookies travel over https only, as in a browser.
    client = TestClient(app, base_url="https://testserver")
    yield Inbox(db_url, sessions, clock, jobs, client, ids)
    client.close()
    engine.dispose()


# For tests whose subject is the web layer, not the database: SQLite only, to keep the suite
# fast (db_url's own parameters are overridden for the test).
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def cli(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> Inbox:
    """The inbox's database for `medsync` commands run with CliRunner."""
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", inbox.url)
    return inbox
