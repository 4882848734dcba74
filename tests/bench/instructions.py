"""Instructions per inbound text, counted by valgrind: a figure the machine's load does not move.

    apt-get install -y valgrind
    .venv/bin/python -m tests.bench.instructions [sqlite|postgresql] [--patients 60]

Timings on a shared 2-core machine wander by a third within minutes, so two builds timed one
after the other can swap places. callgrind counts the instructions a process runs instead,
the same count for the same code and inputs whatever else the machine is doing. This runs
one small program twice under `valgrind --tool=callgrind`, the two runs side by side: both
seed the same generated patients and answer the same 30 warm-up texts through
`Runtime.handle_text`; the second also answers each patient's "hi", "yes" and pickup day.
The difference between the two counts, divided by those texts, is what one text of the
enrollment dialog costs on average, the database's own work included on SQLite (it runs in
the process) and left out on PostgreSQL (it runs in the server). Prints figures; asserts
nothing. About 2-3 minutes on SQLite (valgrind runs Python some 50 times slower).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.bench.common import PHARMACY_NUMBER, fresh_database, seed_patients
from tests.helpers import NOW

DIALOG = ("hi", "yes", "15")
WARM_UP = 30


def answer_texts(database: str, patients: int, measured: int) -> list[str]:
    """What runs under valgrind: seed, warm up, then answer `measured` texts (their TwiML)."""
    from bot.channels.sms import InboundText
    from bot.clock import FrozenClock
    from bot.web.app import create_app
    from tests.helpers import settings_for

    with tempfile.TemporaryDirectory() as folder, fresh_database(database, Path(folder)) as url:
        phones = seed_patients(url, patients, NOW)
        runtime = create_app(settings_for(url), clock=FrozenClock(NOW)).state.runtime
        texts = [
            InboundText(f"SM{n:08d}{i}", phone, PHARMACY_NUMBER, body)
            for n, phone in enumerate(phones)
            for i, body in enumerate(DIALOG)
        ]
        for inbound in texts[:WARM_UP]:
            runtime.handle_text(inbound)
        return [runtime.handle_text(inbound) for inbound in texts[WARM_UP : WARM_UP + measured]]


def counted(database: str, patients: int, measured: int, folder: Path) -> subprocess.Popen[str]:
    out = folder / f"callgrind.{measured}"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "tests.bench.instructions",
        database,
        "--patients",
        str(patients),
        "--measured",
        str(measured),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def instructions(run: subprocess.Popen[str]) -> int:
    _, err = run.communicate()
    found = re.search(r"Collected : (\d+)", err)
    if run.returncode != 0 or found is None:
        sys.exit(f"valgrind failed:\n{err[-2000:]}")
    return int(found[1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--measured", type=int, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args(argv)
    if args.measured is not None:
        answer_texts(args.database, args.patients + WARM_UP // len(DIALOG), args.measured)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install -y valgrind).")
    texts = args.patients * len(DIALOG)
    with tempfile.TemporaryDirectory() as folder:
        base = counted(args.database, args.patients, 0, Path(folder))
        full = counted(args.database, args.patients, texts, Path(folder))
        without, with_texts = instructions(base), instructions(full)
    per_text = (with_texts - without) / texts
    print(
        f"Instructions per inbound text on {args.database} (callgrind; {texts} texts: "
        f"{args.patients} patients' hi, yes and pickup day, after {WARM_UP} warm-up texts):"
    )
    print(f"  without the texts  {without:>16,}")
    print(f"  with them          {with_texts:>16,}")
    print(f"  per text           {per_text:>16,.0f}")


if __name__ == "__main__":
    main()
