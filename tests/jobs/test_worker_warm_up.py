"""`medsync worker` loads what every send job needs before RQ forks a work horse per job
(tests/bench/sending.py measured 257 ms of CPU a message without it, 71 ms with it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from redis import Redis
from bot.clock import SystemClock
from bot.settings.outreach import OutreachSettings
from bot.outreach.sender import TwilioSender
from bot.settings import Settings
from bot.outreach.running_jobs import warm_up
from bot.outreach.worker import WorkerContext

MESSAGES = "twilio.rest.api.v2010.account.message"
context = WorkerContext(
    settings=Settings(database_url=sys.argv[1]),
    outreach=OutreachSettings(),
    clock=SystemClock(),
    sender=TwilioSender("AC" + "0" * 32, "token", "http://127.0.0.1:9"),
    connection=Redis(),  # never used: warming up needs no Redis
)
before = MESSAGES in sys.modules
warm_up(context)
print(before, MESSAGES in sys.modules, context.engine is not None)
"""


def _warm_up(database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_warming_up_imports_the_messages_api_and_connects(sqlite_url: str) -> None:
    assert _warm_up(sqlite_url) == "False True True"


def test_a_database_that_is_down_does_not_stop_the_worker_starting(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'no-such-folder' / 'medsync.db'}"
    assert _warm_up(missing) == "False True True"
