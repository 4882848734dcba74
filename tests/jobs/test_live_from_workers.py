"""Items the scheduler opens on an RQ worker (`medsync worker`) are news for open inbox
pages, as the web's own are: the worker publishes them on the Redis channel the web
processes listen on (bot/inbox/live.py)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from click.testing import CliRunner
from redis import Redis
from redis.client import PubSub
from sqlalchemy import select

from bot.cli.main import main
from bot.inbox.live import News, RedisBroadcaster
from bot.outreach.worker import WorkerContext, enqueue_scheduler_tick
from store.db import transaction
from store.models import ReviewItem
from tests.jobs.conftest import World
from tests.jobs.test_scheduler import at_ten_in_new_york, enroll


def heard(pubsub: PubSub, seconds: float = 5.0) -> list[News]:
    found: list[News] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message and message.get("type") == "message":
            news = News.decode(message["data"])
            if news is not None:
                found.append(news)
        elif found:
            break
    return found


def test_an_item_the_worker_opens_is_published_for_open_pages(
    world: World,
    context: WorkerContext,
    connection: Redis,
    redis_url: str,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))  # T-7: the check-in opens
    monkeypatch.setenv("MEDSYNC_REDIS_URL", redis_url)
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    pubsub = connection.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(RedisBroadcaster(redis_url).channel)
    assert enqueue_scheduler_tick(connection, context.outreach, time.time())

    result = CliRunner().invoke(main, ["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    with transaction(world.sessions) as session:
        items = session.scalars(select(ReviewItem)).all()
    assert items, "the check-in should raise Metformin's renewal task"
    news = heard(pubsub)
    assert {(n.kind, n.item_id) for n in news} >= {("item", item.id) for item in items}
    assert all(n.pharmacy_id == items[0].pharmacy_id for n in news)
    pubsub.close()
