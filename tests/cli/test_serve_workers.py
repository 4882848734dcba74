"""The serving stack (issue 19): uvicorn with uvloop and httptools, installed by default;
`medsync serve --workers N` runs N web processes on PostgreSQL and refuses SQLite in one
sentence."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli.main import main
from tests.faults.servers import Process, free_port, medsync_environment, wait_for
from tests.helpers import seeded


def test_uvicorn_serves_with_uvloop_and_httptools() -> None:
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    config = Config(app=lambda scope, receive, send: None)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    import uvloop  # the loop uvicorn's "auto" picks when it is installed

    assert uvloop.EventLoopPolicy is not None


def test_workers_on_sqlite_are_refused_in_a_sentence(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started on SQLite with --workers")

    monkeypatch.setattr(uvicorn, "run", started)
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t" * 32)
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code != 0
    assert "--workers 2 needs PostgreSQL" in result.output
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_workers_on_postgresql_start_that_many_processes(
    postgres_ready: str, tmp_path: Path
) -> None:
    seeded(postgres_ready)
    port = free_port()
    env = medsync_environment(postgres_ready)
    env.pop("MEDSYNC_PUBLIC_URL")  # serve works it out from --host and --port
    web = Process(["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "serve.log")
    web.start()
    try:

        def healthy() -> bool:
            assert web.running, web.output()[-3000:]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_for(healthy, "medsync serve --workers 2", seconds=60)
        except RuntimeError as error:
            raise AssertionError(web.output()[-3000:]) from error
        wait_for(
            lambda: len(re.findall(r"Application startup complete", web.output())) == 2,
            "both web processes",
            seconds=60,
        )
        pids = set(re.findall(r"Started server process \[(\d+)\]", web.output()))
        assert len(pids) == 2 and str(web.process.pid) not in pids  # type: ignore[union-attr]
        for _ in range(20):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        web.stop()
