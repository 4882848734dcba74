"""`medsync pharmacy questions`: a pharmacy's own check-in questions, from a TOML file."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click

from dialogs.assessment import Assessment
from dialogs.assessment_file import DEFAULT_FILE, AssessmentFileError, load


@click.command("questions")
@click.option("--pharmacy", "which", default=None)
@click.option(
    "--load",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check this TOML file and use it for the pharmacy's check-ins.",
)
@click.option("--show", is_flag=True, help="Print the definition in use.")
@click.option("--reset", is_flag=True, help="Back to the default check-in.")
def pharmacy_questions(which: str | None, path: Path | None, show: bool, reset: bool) -> None:
    """The check-in questions a pharmacy asks; start from `--show` and edit a copy."""
    from bot.cli_common import Fail, pharmacy_named, sessions_for
    from bot.inbox.trail import record
    from bot.settings import get_settings
    from store.db import transaction

    if path is not None and reset:
        raise Fail("Give --load FILE or --reset, not both.")
    new_text: str | None = None
    if path is not None:
        try:
            new_text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise Fail(f"{path} is not a UTF-8 text file.") from None
        try:
            definition = load(new_text)
        except AssessmentFileError as error:
            raise Fail(f"{path}: {error}. Nothing was changed.") from None
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        before = pharmacy.check_in_definition
        if path is not None or reset:
            if path is not None:
                old = _loaded(before) if before is not None else load(DEFAULT_FILE.read_text())
                if old is not None and old.key == definition.key and old != definition:
                    raise Fail(
                        f"{path}: the questions changed but the version did not "
                        f"({definition.key}); raise the version so old answers keep their "
                        "meaning. Nothing was changed."
                    )
            if new_text != before:
                pharmacy.check_in_definition = new_text
                record(
                    session,
                    actor=f"cli:{getpass.getuser()}",
                    action="pharmacy.questions",
                    subject=f"pharmacy:{pharmacy.id}",
                    now=dt.datetime.now(dt.UTC),
                    before={"check_in_definition": before},
                    after={"check_in_definition": new_text},
                )
        text = pharmacy.check_in_definition
        if show:
            click.echo(text if text is not None else DEFAULT_FILE.read_text(encoding="utf-8"))
            return
        in_use = _loaded(text) if text is not None else load(DEFAULT_FILE.read_text("utf-8"))
        if in_use is None:
            click.echo(
                f"{pharmacy.name}'s stored questions no longer load ({_problem(text)}); "
                "patients get the default check-in until a fixed file is loaded."
            )
            return
        origin = "its own questions" if text is not None else "the default check-in"
        click.echo(f"{pharmacy.name} asks {origin} ({in_use.key}):")
        for q in in_use.questions:
            condition = f"  (only if {q.ask_if[0]} = {q.ask_if[1]})" if q.ask_if else ""
            flag = f"  -> review: {q.flag_reason}" if q.flag != "never" else ""
            click.echo(f"  {q.id} [{q.kind}]{condition}{flag}")


def _loaded(text: str | None) -> Assessment | None:
    try:
        return load(text) if text is not None else None
    except AssessmentFileError:
        return None


def _problem(text: str | None) -> str:
    try:
        load(text or "")
    except AssessmentFileError as error:
        return str(error)
    return ""
