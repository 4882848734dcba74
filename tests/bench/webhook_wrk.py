"""The inbound SMS webhook against the bare endpoint, measured with wrk, as issue 19 measured it.

    apt-get install -y wrk
    .venv/bin/python -m tests.bench.webhook_wrk [sqlite|postgresql] [--patients 4000]
        [--seconds 10] [--connections 16] [--web-processes 1]

Seeds `--patients` generated patients, then serves (uvicorn, a subprocess, as in
tests/bench/webhook.py) first the bare endpoint of tests/bench/bare_webhook.py (it parses the
same form, checks the same signature, answers TwiML, no database), then the real app, and
drives each with wrk (1 thread, `--connections`, `--seconds`) from a Lua script holding
requests signed beforehand. Every request to the app is a distinct text that advances an
enrollment dialog: the first half of the patients, 200 at a time, each send "hi" (the offer),
then, after all 200, "yes", then a pickup day, so the three kinds come in equal numbers and no
patient's next text is sent before its last is answered. Then the same at half the maximum
rate (each connection waits between its requests, wrk's `delay()`), with the other half of
the patients. Prints figures; asserts nothing. The
Python load generator (tests/bench/webhook.py) stays for machines without wrk.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.bench.common import fresh_database, seed_patients
from tests.bench.webhook import DIALOG, PUBLIC_URL, TOKEN, serve, signed
from tests.helpers import NOW

BLOCK = 200  # patients whose three texts go one kind after another (see lua_script)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Run:
    rate: float
    p50: float  # milliseconds
    p99: float
    requests: int
    errors: int

    def line(self, label: str) -> str:
        return (
            f"  {label:34} {self.rate:7.0f} req/s   p50 {self.p50:7.1f} ms   "
            f"p99 {self.p99:7.1f} ms   {self.requests} requests, {self.errors} not 200"
        )


def lua_script(phones: Sequence[str], tag: str, delay_ms: float | None) -> str:
    """wrk's script: the signed requests in dialog order, one after another, round again
    when they run out (only the bare endpoint gets that far).

    The patients go in blocks of `BLOCK`: each block's "hi"s, then its "yes"es, then its
    days. A run that stops anywhere has sent the three kinds of text in about equal numbers
    (with every "hi" first, a 10-second run measured nothing but "hi"s), and a patient's next
    text is still sent `BLOCK` requests after their last, long after it was answered."""
    bodies, signatures = [], []
    for start in range(0, len(phones), BLOCK):
        for i, body in enumerate(DIALOG):
            for n in range(start, min(start + BLOCK, len(phones))):
                params, signature = signed(phones[n], body, f"SM{tag}{n:08d}{i}")
                bodies.append(urlencode(params))
                signatures.append(signature)
    quoted = ",\n".join(f'  {{"{b}", "{s}"}}' for b, s in zip(bodies, signatures, strict=True))
    delay = f"function delay()\n  return {delay_ms:.3f}\nend\n" if delay_ms else ""
    return f"""local requests = {{
{quoted}
}}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
function request()
  i = i % #requests + 1
  local r = requests[i]
  wrk.headers["X-Twilio-Signature"] = r[2]
  return wrk.format(nil, "/twilio/sms", nil, r[1])
end
{delay}"""


def milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk latency: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def run_wrk(base: str, script: Path, seconds: int, connections: int) -> Run:
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = milliseconds(re.search(r"^\s+50%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    p99 = milliseconds(re.search(r"^\s+99%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    total = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Run(rate, p50, p99, total, int(bad[1]) if bad else 0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-processes", type=int, default=1)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk); tests/bench/webhook.py is not.")
    env = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_PUBLIC_URL": PUBLIC_URL,
        "MEDSYNC_SENDER": "null",
        "MEDSYNC_SECRET_KEY": "bench",
    }
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        phones = seed_patients(url, args.patients, NOW)
        half = len(phones) // 2
        results: dict[str, Run] = {}
        for name, factory, extra in [
            ("bare endpoint", "tests.bench.bare_webhook:create_app", {}),
            ("MedSync", "bot.web.app:create_app", {"MEDSYNC_DATABASE_URL": url}),
        ]:
            server, base = serve(factory, {**env, **extra}, args.web_processes)
            try:
                full = Path(folder) / f"{name[0]}-full.lua"
                full.write_text(lua_script(phones[:half], "f" + name[0], None))
                top = results[name] = run_wrk(base, full, args.seconds, args.connections)
                # Half the maximum rate: each connection waits connections/rate between requests.
                wait_ms = 1000 * args.connections / (top.rate / 2)
                slow = Path(folder) / f"{name[0]}-half.lua"
                slow.write_text(lua_script(phones[half:], "h" + name[0], wait_ms))
                results[f"{name} at half rate"] = run_wrk(
                    base, slow, args.seconds, args.connections
                )
            finally:
                server.terminate()
                server.wait()
        print(
            f"Inbound SMS webhook with wrk on {args.database}: {args.web_processes} web "
            f"process(es), 1 thread, {args.connections} connections, {args.seconds} s a run, "
            f"{args.patients:,} patients:"
        )
        for name, figures in results.items():
            print(figures.line(name))
        ratio = results["MedSync"].rate / results["bare endpoint"].rate
        print(f"  MedSync / bare endpoint: {ratio:.1%}")


if __name__ == "__main__":
    main()
