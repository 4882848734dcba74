"""A real MedSync app served on a free port in a thread, for the browser tests."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from bot.clock import FrozenClock
from bot.settings import Settings
from bot.web.app import create_app
from tests.helpers import NOW, TOKEN
from tests.inbox.conftest import RecordingJobs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(database_url: str, now: dt.datetime = NOW) -> Iterator[str]:
    """The app on `database_url` at a free port (clock frozen at `now`, no texts sent); its
    base URL."""
    port = free_port()
    settings = Settings(
        database_url=database_url,
        twilio_auth_token=TOKEN,
        public_url=f"http://127.0.0.1:{port}",
        sender="null",
        secret_key="browser-test-secret-0123456789",
    )
    app = create_app(settings, clock=FrozenClock(now), jobs=RecordingJobs())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
