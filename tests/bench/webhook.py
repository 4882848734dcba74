"""Inbound SMS webhook throughput and latency, against the bare-endpoint ceiling, in one run.

    .venv/bin/python -m tests.bench.webhook [sqlite|postgresql] [--web-processes 1|2]
        [--patients 400] [--concurrency 8]

Serves the real app (uvicorn, in a subprocess) on a freshly seeded database and the bare
endpoint of tests/bench/bare_webhook.py, then drives both with the same kind of signed requests
from a Python load generator on loopback. Every request to the app advances a dialog: each
generated patient sends "hi" (the offer), "yes", then a pickup day, in order. Two phases each:
closed loop (`concurrency` senders as fast as answers come: the maximum rate), then open loop
at half that rate (the latency a normal busy hour sees). Prints figures; asserts nothing.
The load generator shares the machine's cores with the servers.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from tests.bench.common import PHARMACY_NUMBER, fresh_database, seed_patients
from tests.helpers import NOW

TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC_URL = "https://pharmacy.example.org"
DIALOG = ("hi", "yes", "15")


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    latencies: Sequence[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def line(self, label: str) -> str:
        return (
            f"  {label:34} {self.rate:7.0f} req/s   p50 {self.percentile(0.5):6.1f} ms   "
            f"p99 {self.percentile(0.99):6.1f} ms   errors {self.errors}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(factory: str, env: dict[str, str], processes: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
         "--workers", str(processes), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **env},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # importing the app takes a while on a busy machine
    while time.monotonic() < deadline:
        try:
            httpx.post(base + "/twilio/sms", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"{factory} did not start")


def signed(phone: str, body: str, sid: str) -> tuple[dict[str, str], str]:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "From": phone,
        "To": PHARMACY_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    return params, RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms", params)


def drive(
    base: str, phones: Sequence[str], concurrency: int, rate: float | None, tag: str
) -> Figures:
    """Each sender owns every `concurrency`-th patient and sends that patient's messages in
    order. With `rate`, requests start on a fixed schedule (open loop) instead of back to back."""
    # Signed before the clock starts: the load generator should spend its CPU on sending.
    work = [
        [signed(phone, body, f"SM{tag}{n:08d}{i}") for n, phone in enumerate(phones)
         if n % concurrency == s for i, body in enumerate(DIALOG)]
        for s in range(concurrency)
    ]  # fmt: skip
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    started = time.perf_counter()

    def sender(index: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for k, (params, signature) in enumerate(work[index]):
                if rate is not None:
                    due = started + (k * concurrency + index) / rate
                    pause = due - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                t = time.perf_counter()
                response = client.post(
                    "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
                )
                mine.append(time.perf_counter() - t)
                if response.status_code != 200:
                    with lock:
                        errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Figures(len(latencies), time.perf_counter() - started, latencies, errors[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--web-processes", type=int, default=1)
    parser.add_argument("--patients", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
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
        # Four groups of patients: warm-up, maximum, half rate, and a spare for the ceiling.
        phones = seed_patients(url, args.patients * 2 + 20, NOW)
        warm, full, half = (
            phones[:20],
            phones[20 : 20 + args.patients],
            phones[20 + args.patients :],
        )
        results: dict[str, Figures] = {}
        for name, factory, extra in [
            ("bare endpoint (ceiling)", "tests.bench.bare_webhook:create_app", {}),
            ("MedSync", "bot.web.app:create_app", {"MEDSYNC_DATABASE_URL": url}),
        ]:
            server, base = serve(factory, {**env, **extra}, args.web_processes)
            try:
                drive(base, warm, 4, None, "w" + name[:1])
                results[name] = top = drive(base, full, args.concurrency, None, "f" + name[:1])
                results[name + " at half rate"] = drive(
                    base, half, args.concurrency, top.rate / 2, "h" + name[:1]
                )
            finally:
                server.terminate()
                server.wait()
        print(
            f"Inbound SMS webhook on {args.database}, {args.web_processes} web process(es), "
            f"{args.concurrency} concurrent senders, "
            f"{args.patients * len(DIALOG)} requests a phase:"
        )
        for name, figures in results.items():
            print(figures.line(name))
        ratio = results["MedSync"].rate / results["bare endpoint (ceiling)"].rate
        print(f"  MedSync / ceiling: {ratio:.0%}")


if __name__ == "__main__":
    main()
