"""Where an inbound text's time goes: cProfile over the runtime's hot path, in process.

    .venv/bin/python -m tests.bench.profile_inbound [sqlite|postgresql] [--patients 300]
        [--timing] [--only hi|yes|15]

Each generated patient sends "hi", "yes" and a pickup day straight into `Runtime.handle_text`
(no HTTP), under cProfile; prints the mean time per message and the top functions. With
`--timing`, no profiler: the mean wall and CPU time per kind of text.
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
    parser.add_argument(
        "--timing",
        action="store_true",
        help="no profiler: wall and CPU time per kind of text (hi, yes, the day)",
    )
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime")
    parser.add_argument(
        "--only", choices=DIALOG, help="profile only this kind of text (the others still run)"
    )
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
        if args.timing:
            timing(runtime, texts[30:], args.database)
            return
        profile = cProfile.Profile()
        seconds, timed = 0.0, 0
        for inbound in texts[30:]:
            if args.only is not None and inbound.body != args.only:
                runtime.handle_text(inbound)
                continue
            started = time.perf_counter()
            profile.enable()
            runtime.handle_text(inbound)
            profile.disable()
            seconds += time.perf_counter() - started
            timed += 1
    print(f"{timed} texts on {args.database}: {seconds / timed * 1000:.2f} ms each under cProfile")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


def timing(runtime: Runtime, texts: list[InboundText], database: str) -> None:
    """Mean wall and CPU (this process: the app's own work, not the database server's) per
    text, by kind, without a profiler."""
    wall: dict[str, list[float]] = {body: [] for body in DIALOG}
    cpu: dict[str, list[float]] = {body: [] for body in DIALOG}
    for inbound in texts:
        started, used = time.perf_counter(), time.process_time()
        runtime.handle_text(inbound)
        wall[inbound.body].append(time.perf_counter() - started)
        cpu[inbound.body].append(time.process_time() - used)
    print(f"{len(texts)} texts on {database}, no profiler (mean per text):")
    for body, label in zip(DIALOG, ("hi (the offer)", "yes", "a pickup day"), strict=True):
        print(
            f"  {label:16} wall {1000 * sum(wall[body]) / len(wall[body]):6.2f} ms"
            f"   CPU {1000 * sum(cpu[body]) / len(cpu[body]):6.2f} ms"
        )
    every = [t for times in cpu.values() for t in times]
    print(f"  all              CPU {1000 * sum(every) / len(every):6.2f} ms")


if __name__ == "__main__":
    main()
