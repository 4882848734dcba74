"""Texts run in the app's conversation lane (bot/channels/twilio_webhook.py in_lane): as many
at once as the database has writers (store.db.concurrent_writers), not the thread pool's 40."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from sqlalchemy import Engine
from twilio.request_validator import RequestValidator

from bot.channels.sms import InboundText
from bot.clock import FrozenClock
from bot.web.app import create_app
from store.db import concurrent_writers, make_engine
from tests.helpers import NOW, PUBLIC_URL, TOKEN, settings_for


class SlowRuntime:
    """Answers every text after a pause, counting how many it answers at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.guard = threading.Lock()

    def handle_text(self, inbound: InboundText) -> str:
        with self.guard:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.02)
        with self.guard:
            self.now -= 1
        return "<Response/>"


def test_the_lane_is_as_wide_as_the_databases_writers(engine: Engine, db_url: str) -> None:
    expected = 1 if db_url.startswith("sqlite") else make_engine(db_url).pool.size()  # type: ignore[attr-defined]
    assert concurrent_writers(engine) == expected >= 1


@pytest.mark.parametrize("width", [1, 3])
def test_texts_arriving_together_are_answered_within_the_lane(sqlite_url: str, width: int) -> None:
    app = create_app(settings_for(sqlite_url), clock=FrozenClock(NOW))
    assert app.state.conversation_lane.total_tokens == 1  # SQLite: one writer
    app.state.conversation_lane.total_tokens = width
    runtime = app.state.runtime = SlowRuntime()

    async def send_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def one(n: int) -> int:
                params = {
                    "MessageSid": f"SMlane{n:04d}",
                    "From": f"+1212555{n:04d}",
                    "To": "+15550000000",
                    "Body": "hi",
                }
                signature = RequestValidator(TOKEN).compute_signature(
                    PUBLIC_URL + "/twilio/sms", params
                )
                response = await client.post(
                    "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
                )
                return response.status_code

            return await asyncio.gather(*(one(n) for n in range(12)))

    assert asyncio.run(send_all()) == [200] * 12
    assert runtime.most == width  # all 12 waited their turn; never more at once
