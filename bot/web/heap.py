"""The web process's heap, settled once it has started (issue 19: p99 at half rate).

A full (generation 2) garbage collection walks every object the process holds. The web
process holds a great many that live as long as it does: the modules, each language's
catalog and vocabulary, the phone-number metadata, SQLAlchemy's mappings and compiled
statements. Measured under wrk on SQLite, each full collection stopped every request for
80-105 ms, a few times a minute: those pauses were the 99th percentile. `gc.freeze()` moves
what exists at start into a generation the collector never walks, so a full collection only
walks what was made since (8-19 ms in the same run). Objects are still freed as usual when
nothing refers to them; only cycles among the frozen ones would never be collected, and
those are the process's own furniture.

Done once per process (in the app's lifespan, so in each `--workers` process and not at
import): a test run that starts many apps freezes only what exists at the first start.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

_settled = False
_guard = threading.Lock()


def settle() -> bool:
    """Collect, then freeze what is left; only the first call in a process does anything."""
    global _settled
    with _guard:
        if _settled:
            return False
        _settled = True
    gc.collect()
    gc.freeze()
    return True


def settle_on_start(app: FastAPI) -> None:
    """Settle the heap when the app starts serving (after the other startup steps)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            settle()
            yield state

    app.router.lifespan_context = lifespan
