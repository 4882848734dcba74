"""Without MEDSYNC_REDIS_URL the web app runs the periodic job itself; with it, sends go to RQ."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient

from bot.outreach.jobs import InProcessJobs
from bot.outreach.worker import RQJobs
from bot.settings import Settings
from bot.web.app import create_app
from tests.jobs.conftest import PUBLIC_URL, TOKEN, World
from tests.jobs.test_scheduler import at_ten_in_new_york, enroll


def settings(db_url: str, redis_url: str | None = None) -> Settings:
    return Settings(
        database_url=db_url,
        twilio_auth_token=TOKEN,
        public_url=PUBLIC_URL,
        redis_url=redis_url,
        sender="null",
    )


def test_serve_without_redis_runs_the_scheduler_in_a_thread(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSYNC_SCHEDULER_INTERVAL", "1")
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    app = create_app(settings(db_url), clock=world.clock, sender=world.sender)
    assert isinstance(app.state.jobs, InProcessJobs)
    with TestClient(app):
        deadline = time.monotonic() + 10
        while not world.fake.accepted_messages and time.monotonic() < deadline:
            time.sleep(0.05)
    [sent] = world.fake.accepted_messages
    assert "check-in" in sent.form["Body"]
    assert sent.form["StatusCallback"].startswith(PUBLIC_URL + "/twilio/status?message=")


def test_serve_with_redis_hands_sends_to_rq(db_url: str, redis_url: str) -> None:
    app = create_app(settings(db_url, redis_url))
    assert isinstance(app.state.jobs, RQJobs)
