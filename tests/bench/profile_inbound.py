"""Where an inbound text's time goes: cProfile over the runtime's hot path, in process.

    .venv/bin/python -m tests.bench.profile_inbound [sqlite|postgresql] [--patients 300]

Each generated patient sends "hi", "yes" and a pickup day straight into `Runtime.handle_text`
(no HTTP), under cProfile; prints the mean time per message and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from bot.channels.sms import InboundText
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from bot.web.app import create_app
from tests.bench.common import PHARMACY_NUMBER, fresh_database, seed_patients
from tests.helpers import NOW, settings_for

DIALOG = ("hi", "yes", "15")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        phones = seed_patients(url, args.patients, NOW)
        runtime: Runtime = create_app(settings_for(url), clock=FrozenClock(NOW)).state.runtime
        texts = [
            InboundText(f"SM{n:08d}{i}", phone, PHARMACY_NUMBER, body)
            for n, phone in enumerate(phones)
            for i, body in enumerate(DIALOG)
        ]
        for inbound in texts[:30]:  # warm-up: imports, catalogs, connection pool
            runtime.handle_text(inbound)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for inbound in texts[30:]:
            runtime.handle_text(inbound)
        profile.disable()
        seconds = time.perf_counter() - started
    timed = len(texts) - 30
    print(f"{timed} texts on {args.database}: {seconds / timed * 1000:.2f} ms each under cProfile")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
