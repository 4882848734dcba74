"""What a `medsync` command says when something goes wrong: a user's mistake or a missing
setting is one sentence and the command that fixes it; an error nobody expected is one
sentence naming the file that holds the details. Never a traceback on the terminal."""

from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.settings import SettingMissing, get_settings
from store.db import DatabaseNotReady, shown

# A table the command needs is not there: a database older than the code, or none at all.
_MISSING_TABLE = ("no such table", "does not exist", "undefinedtable", "no such column")


def error_log_path() -> Path:
    """MEDSYNC_ERROR_LOG, else the user's state folder ($XDG_STATE_HOME/medsync/errors.log)."""
    chosen = get_settings().error_log
    if chosen:
        return Path(chosen).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "medsync" / "errors.log"


def write_details(error: BaseException) -> Path | None:
    """The traceback, appended to the error log; only its owner can read it (it may name a
    patient in a database error's parameters)."""
    path = error_log_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as log:
            log.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} medsync\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path


def plain_sentence(error: Exception) -> str | None:
    """The sentence for an error a user can fix, or None for one nobody expected."""
    if isinstance(error, DatabaseNotReady | SettingMissing):
        return str(error)
    if isinstance(error, OperationalError | ProgrammingError):
        text = str(error.orig or error).lower()
        where = shown(get_settings().database_url)
        if any(marker in text for marker in _MISSING_TABLE):
            return (
                f"The database at {where} is missing tables this command needs: run "
                "`medsync db upgrade`."
            )
        if isinstance(error, OperationalError):
            reason = str(error.orig or error).strip().splitlines()[0][:200]
            return (
                f"The database at {where} did not answer ({reason}): check "
                "MEDSYNC_DATABASE_URL and that the database server is running."
            )
    return None


class Guarded(click.Group):
    """The `medsync` group: every subcommand's errors become sentences (see module doc)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as error:
            sentence = plain_sentence(error)
            if sentence is not None:
                raise click.ClickException(sentence) from None
            where = write_details(error)
            told = f"the details are in {where}" if where else "the details could not be saved"
            raise click.ClickException(
                f"Something unexpected went wrong ({type(error).__name__}); {told}. "
                "Please pass that file on to whoever looks after MedSync."
            ) from None
