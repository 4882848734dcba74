"""Time to work out one patient's sync plan (pure arithmetic, no database).

    .venv/bin/python -m tests.bench.plan [--rounds N]

Plans every eligible patient of the sample export on its export day, under the default
program, with a pharmacy calendar (Sundays and US federal holidays closed), and with the
fewest_trips policy. Every plan works out all 28 anchor days to compare their trips.

Then times `recommend` alone (the offer's day after a "yes": the 28 days compared, no detailed
plan) for two typical patients: P1001's four medicines (one an inhaler) and the six tablets
of P1003 and P1005 together, on the defaults and on the closed-Sundays calendar (this process's
CPU time, the best of five runs: the machine is shared), and again with a day later at each
call, so nothing kept from the call before helps (a patient's first "yes").
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from dialogs.plan.model import Medication, ProgramSettings
from dialogs.plan.open_days import OpenDays
from dialogs.plan.plan import NotEligible, build_plan, recommend
from tests.plan.sample_export import EXPORT_DAY, PATIENTS

PROGRAMS = {
    "defaults": ProgramSettings(),
    "closed Sundays and federal holidays": ProgramSettings(
        open_days=OpenDays(closed_weekdays=frozenset({6}))
    ),
    "fewest_trips": ProgramSettings(anchor_policy="fewest_trips"),
}

REPEATS = 5  # the machine is shared: the best run is the one least disturbed
TYPICAL: dict[str, list[Medication]] = {
    "P1001 (4, an inhaler)": PATIENTS["P1001"],
    "P1003+P1005 (6 tablets)": [*PATIENTS["P1003"], *PATIENTS["P1005"]],
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
    calls = args.rounds * 2
    out(f"recommend (the offer's day), CPU time, the best of {REPEATS} runs of {calls} calls:")
    for patient, medications in TYPICAL.items():
        for name, program in list(PROGRAMS.items())[:2]:
            runs = []
            for _ in range(REPEATS):
                started = time.process_time()
                for _ in range(calls):
                    recommend(medications, EXPORT_DAY, program)
                runs.append((time.process_time() - started) / calls * 1000)
            out(f"  {patient:24} {name:36} {min(runs):6.3f} ms a call")
    # The same patient a day later each time: no date repeats, so what is kept per process
    # (pickup days, fill calendars) is of no help, as for a patient's first "yes".
    out(f"recommend, each of {calls} calls a day later (nothing kept from the call before):")
    for patient, medications in TYPICAL.items():
        program = PROGRAMS["closed Sundays and federal holidays"]
        later = [
            [
                replace(m, last_fill_date=m.last_fill_date + dt.timedelta(days=n))
                for m in medications
            ]
            for n in range(1, calls + 1)
        ]
        started = time.process_time()
        for n, moved in enumerate(later, start=1):
            recommend(moved, EXPORT_DAY + dt.timedelta(days=n), program)
        per_call = (time.process_time() - started) / calls * 1000
        out(f"  {patient:24} {'closed Sundays and federal holidays':36} {per_call:6.3f} ms a call")


if __name__ == "__main__":
    main()
