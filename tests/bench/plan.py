"""Time to work out one patient's sync plan (pure arithmetic, no database).

    .venv/bin/python -m tests.bench.plan [--rounds N]

Plans every eligible patient of the sample export on its export day, under the default
program, with a pharmacy calendar (Sundays and US federal holidays closed), and with the
fewest_trips policy. Every plan works out all 28 anchor days to compare their trips.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from dialogs.plan.model import ProgramSettings
from dialogs.plan.open_days import OpenDays
from dialogs.plan.plan import NotEligible, build_plan
from tests.plan.sample_export import EXPORT_DAY, PATIENTS

PROGRAMS = {
    "defaults": ProgramSettings(),
    "closed Sundays and federal holidays": ProgramSettings(
        open_days=OpenDays(closed_weekdays=frozenset({6}))
    ),
    "fewest_trips": ProgramSettings(anchor_policy="fewest_trips"),
}


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    out(f"Sync plans for the sample export's patients, {args.rounds} rounds:")
    for name, program in PROGRAMS.items():
        plans = 0
        started = time.perf_counter()
        for _ in range(args.rounds):
            for medications in PATIENTS.values():
                try:
                    build_plan(medications, EXPORT_DAY, program)
                except NotEligible:
                    continue
                plans += 1
        per_plan = (time.perf_counter() - started) / plans * 1000
        out(f"  {name:38} {plans:6,} plans   {per_plan:6.2f} ms a plan")


if __name__ == "__main__":
    main()
