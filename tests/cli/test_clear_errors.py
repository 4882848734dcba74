"""Issue 17 finding: "any CLI command before `db upgrade`, or in another folder, prints a
60-line SQLAlchemy traceback ("no such table: pharmacy") and leaves an empty medsync.db
behind".

Every `medsync` command is run, with made-up arguments, in an empty folder: each answers one
sentence (naming `medsync db upgrade` when it needs the database), prints no traceback, and
creates no file. A database at an older revision, a database server that does not answer
and an unexpected error each get their sentence too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import patients
from bot.cli.main import main
from store.db import upgrade

# Commands that need no database, or stop at another missing setting first.
NO_DATABASE = {
    "catalogs check",
    "catalogs report",
    "chat",  # no auth token: says so first
    "phone",
    "user roles",  # issue 17: prints the role policy (bot/inbox/policy.py), a table in code
    "worker",  # no Redis URL: says so first
}
# Commands that make the database on purpose (the embedded default) or run a server.
SKIPPED = {"db upgrade", "serve"}


def leaves(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from leaves(command, path + " ")
        else:
            yield path, command


def made_up_arguments(command: click.Command, a_file: Path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        if isinstance(param.type, click.Path):
            value = str(a_file)
        elif isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, click.types.IntParamType):
            value = "1"
        else:
            value = "P1001"
        values = [value, value] if param.nargs == -1 else [value]
        if isinstance(param, click.Option):
            for v in values:
                args += [param.opts[0], v]
        else:
            args += values
    return args


COMMANDS = [(path, command) for path, command in leaves(main) if path not in SKIPPED]


def test_the_walk_finds_the_commands() -> None:
    names = {path for path, _ in COMMANDS}
    assert {"queue", "user add", "token list", "pharmacy callers", "import"} <= names
    assert len(names) > 40


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_before_db_upgrade_says_so_and_creates_nothing(
    path: str,
    command: click.Command,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    a_file = tmp_path / "input.csv"
    a_file.write_text("patient_id\n")
    monkeypatch.chdir(folder)
    for name in ("MEDSYNC_DATABASE_URL", "TWILIO_AUTH_TOKEN", "MEDSYNC_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDSYNC_ERROR_LOG", str(tmp_path / "errors.log"))
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    args = [*path.split(), *made_up_arguments(command, a_file)]
    result = CliRunner().invoke(main, args, input="")
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), (args, repr(result.exception))
    assert list(folder.iterdir()) == [], f"{args} left {list(folder.iterdir())}"
    assert not (tmp_path / "errors.log").exists(), (args, result.output)
    if path in NO_DATABASE:
        return
    # One sentence: the database's, or a mistake in the made-up arguments found before it.
    assert result.exit_code != 0, (args, result.output)
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    if "medsync db upgrade" not in result.output:
        assert "table" not in result.output and "sqlite" not in result.output.lower()


@pytest.mark.parametrize(
    "args",
    [
        ["queue"],
        ["user", "list"],
        ["user", "disable", "dana@example.org"],
        ["token", "list"],
        ["pharmacy", "list"],
        ["pharmacy", "callers"],
        ["plan", "P1001"],
        ["report"],
        ["campaign", "list"],
        ["household", "show", "P1001"],
        ["checkin", "open", "P1001"],
        ["scheduler", "run-once"],
    ],
    ids=" ".join,
)
def test_commands_that_need_the_database_name_the_command_that_makes_it(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEDSYNC_DATABASE_URL", raising=False)
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: There is no database at {tmp_path / 'medsync.db'}: create it with "
        "`medsync db upgrade` (or set MEDSYNC_DATABASE_URL to the database you use).\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_database_at_an_older_revision_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0019_hardening")
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["pharmacy", "list"])
    assert result.exit_code == 1
    assert "is at revision 0019_hardening" in result.output
    assert "run `medsync db upgrade`" in result.output and "Traceback" not in result.output


def test_a_database_server_that_does_not_answer_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "MEDSYNC_DATABASE_URL", "postgresql+psycopg://medsync:s3cret@127.0.0.1:1/medsync"
    )
    result = CliRunner().invoke(main, ["queue"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Could not open the database at postgresql+psycopg://medsync:***@127.0.0.1:1" in (
        result.output
    )
    assert "s3cret" not in result.output


def test_db_upgrade_in_a_folder_that_does_not_exist_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'no' / 'such.db'}")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not (tmp_path / "no").exists()


def test_an_unexpected_error_names_the_file_with_the_details(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", sqlite_url)
    log = tmp_path / "state" / "errors.log"
    monkeypatch.setenv("MEDSYNC_ERROR_LOG", str(log))

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug, not the user's mistake")

    monkeypatch.setattr(patients, "print_queue", broken, raising=False)
    monkeypatch.setattr(patients.queries, "pending_items", broken, raising=False)
    monkeypatch.setattr(patients, "pharmacy_named", broken)
    result = CliRunner().invoke(main, ["queue"])
    assert result.exit_code == 1
    assert "Something unexpected went wrong (KeyError)" in result.output
    assert str(log) in result.output and "Traceback" not in result.output
    assert "a bug, not the user's mistake" in log.read_text()
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
