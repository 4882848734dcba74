"""The web process settles its heap when it starts serving (bot/web/heap.py): what exists at
start is frozen out of the collector's walks, once per process."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient

from bot.clock import FrozenClock
from bot.web import heap
from bot.web.app import create_app
from tests.helpers import NOW, Phone, settings_for


def test_the_app_freezes_its_start_up_heap_once_and_still_answers(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap, "_settled", False)  # as in a fresh web process
    gc.unfreeze()
    try:
        app = create_app(settings_for(sqlite_url), clock=FrozenClock(NOW))
        assert gc.get_freeze_count() == 0  # building the app freezes nothing (tests make many)
        with TestClient(app) as client:
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # the modules, catalogs and mappings of a started app
            assert not heap.settle()  # once per process: a second app does not freeze again
            assert gc.get_freeze_count() <= frozen  # (frozen objects are still freed)
            assert client.get("/healthz").json() == {"status": "ok"}
            phone = Phone(client, "+12125550123")
            assert phone.post(phone.params("hi")).status_code == 200
    finally:
        gc.unfreeze()
