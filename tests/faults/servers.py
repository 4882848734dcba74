"""Throwaway servers for fault tests: a PostgreSQL cluster, a Redis server, `medsync serve`
and `medsync worker` processes, each on a free loopback port, each killed and started again
as a test needs. The shared PostgreSQL and Redis the rest of the suite uses are never touched.

PostgreSQL refuses to run as root: when the tests run as root, initdb and the server run as
the `postgres` system user (its cluster directory is made for it).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import create_engine, text

from tests.helpers import PUBLIC_URL, TOKEN

MEDSYNC = str(Path(sys.executable).with_name("medsync"))


class Missing(Exception):
    """A binary a fault test needs is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(ready: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")
        time.sleep(0.05)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


# ---------------------------------------------------------------------- PostgreSQL


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or (
        [shutil.which(name)] if shutil.which(name) else []
    )
    if not found or found[-1] is None:
        raise Missing(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found[-1]


class PostgresCluster:
    """`initdb` in a temporary directory (trust auth), served on a free port."""

    def __init__(self) -> None:
        self.initdb = _postgres_bin("initdb")
        self.pg_ctl = _postgres_bin("pg_ctl")
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="medsync-faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            account = pwd.getpwnam(self._user)
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        self._run([self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8", "--locale=C"])  # fmt: skip

    def _run(self, command: list[str]) -> None:
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=60 -c shared_buffers=16MB")  # fmt: skip
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options,
                   "-w", "-t", "60", "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back open transactions and disconnects; `immediate` is a crash."""
        self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# ---------------------------------------------------------------------- Redis


class RedisServer:
    """`redis-server` with no persistence on a free port; stop() kills it, start() again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise Missing("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: _listening(self.port), "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
        wait_for(lambda: not _listening(self.port), "redis-server shutdown")


# ---------------------------------------------------------------------- MedSync processes


def medsync_environment(database_url: str, **extra: str) -> dict[str, str]:
    """One environment for every web process and worker, as docs/DEPLOY.md says."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MEDSYNC_", "TWILIO_"))
    }
    env.update(
        {
            "MEDSYNC_DATABASE_URL": database_url,
            "MEDSYNC_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "MEDSYNC_SENDER": "null",
            "MEDSYNC_SECRET_KEY": "fault-tests",
            # Any hour is a sending hour: these tests run on the real clock, day or night.
            "MEDSYNC_SENDING_HOURS_START": "00:00:00",
            "MEDSYNC_SENDING_HOURS_END": "23:59:59",
            "MEDSYNC_SENDING_HOURS_END_BY_STATE": "{}",
            **extra,
        }
    )
    return env


class Process:
    """A `medsync` command in its own process group, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._out: IO[Any] | None = None

    def start(self) -> None:
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(
            [MEDSYNC, *self.args],
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._out is not None:
            self._out.close()
            self._out = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class WebProcess(Process):
    """`medsync serve` on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        super().__init__(["serve", "--port", str(self.port)], env, log)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()

        def healthy() -> bool:
            if not self.running:
                raise RuntimeError(f"medsync serve exited:\n{self.output()[-3000:]}")
            try:
                return httpx.get(self.base + "/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "medsync serve")
