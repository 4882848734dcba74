"""The real app served by uvicorn in its own processes, as in production, for tests that
need real concurrency (several requests inside the server at once, several web processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.helpers import PUBLIC_URL, TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(db_url: str, processes: int = 1) -> Iterator[str]:
    """The app on a loopback port for the duration; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "MEDSYNC_DATABASE_URL": db_url,
        "MEDSYNC_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_SENDER": "null",
        "MEDSYNC_SECRET_KEY": "reliability-tests",
    }
    env.pop("MEDSYNC_REDIS_URL", None)  # jobs in process: these tests are about the webhook
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory",
         "--port", str(port), "--workers", str(processes), "--log-level", "warning",
         # a process still importing the app on a busy machine is not hung
         "--timeout-worker-healthcheck", "60"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the app did not start under uvicorn")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
