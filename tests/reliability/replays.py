"""Replayed webhooks (Twilio's retries, or an attacker's copies of signed requests) change
nothing: the same TwiML comes back and no row anywhere is added or altered.

Shared by the test (a few hundred replays) and the script (10,000):

    .venv/bin/python -m tests.reliability.replays [COUNT] [sqlite|postgresql]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import MetaData, select

from store.db import make_engine
from tests.helpers import Phone, app_client, new_sid

MARGARET = "+12125550123"
JOSE = "+13055550147"
STRANGER = "+19175550111"

Snapshot = dict[str, list[tuple[object, ...]]]


def snapshot(db_url: str) -> Snapshot:
    """Every row of every table the migrations made, in a stable order."""
    engine = make_engine(db_url)
    tables = MetaData()
    tables.reflect(engine)
    rows: Snapshot = {}
    with engine.connect() as conn:
        for name, table in sorted(tables.tables.items()):
            rows[name] = sorted(
                (tuple(repr(v) for v in row) for row in conn.execute(select(table))), key=repr
            )
    engine.dispose()
    return rows


def replay(db_url: str, count: int) -> tuple[Snapshot, Snapshot, int]:
    """Play a few conversations, then replay their requests `count` times in all.

    Returns the snapshots before and after the replays, and how many replays answered
    differently from the first time.
    """
    client = app_client(db_url)
    played: list[tuple[Phone, dict[str, str], str]] = []
    for number, bodies in [
        (MARGARET, ["hi", "yes", "15"]),
        (JOSE, ["hola", "no"]),
        (STRANGER, ["hello"]),
        (MARGARET, ["STOP", "ok"]),
    ]:
        phone = Phone(client, number)
        for body in bodies:
            params = phone.params(body, sid=new_sid())
            response = phone.post(params)
            assert response.status_code == 200, response.text
            played.append((phone, params, response.text))
    before = snapshot(db_url)
    different = 0
    for n in range(count):
        phone, params, answer = played[n % len(played)]
        response = phone.post(params)
        different += response.status_code != 200 or response.text != answer
    return before, snapshot(db_url), different


def main() -> None:
    from tests.bench.common import fresh_database  # a benchmark's own database

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    kind = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
        started = time.perf_counter()
        before, after, different = replay(url, count)
        seconds = time.perf_counter() - started
    changed = [name for name in before if before[name] != after.get(name)]
    print(f"{count} replayed webhooks on {kind} in {seconds:.1f} s:")
    print(f"  answered differently: {different}")
    print(f"  tables changed: {len(changed)} {changed}")
    print(f"  tables compared: {len(before)}, rows: {sum(len(r) for r in before.values())}")


if __name__ == "__main__":
    main()
