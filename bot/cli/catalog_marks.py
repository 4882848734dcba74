"""`medsync catalogs mark`: record who read which translations, and when, in the catalog itself
(a `# review:` line per entry, locales/review.py), instead of a Python snippet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from babel.messages.catalog import Catalog

from bot.cli.common import Fail
from bot.languages import catalogs as i18n
from bot.languages.review_status import review_status
from locales import review


@click.command("mark")
@click.argument("language")
@click.option("--by", "who", required=True, help='Who read them: "Ji-won Park (CCHI)".')
@click.option(
    "--status",
    type=click.Choice(review.MARKS),
    default="reviewed",
    show_default=True,
    help="reviewed: by a qualified medical translator; checked: by someone else, who mended "
    "what they found (a second reader is still needed).",
)
@click.option("--on", "day", default=None, help="The day they read them (YYYY-MM-DD); today.")
@click.option("--entry", "entries", multiple=True, help="An English msgid (repeatable).")
@click.option(
    "--entries-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A UTF-8 file of English msgids, one a line (the entries a reviewer was sent).",
)
@click.option("--all", "everything", is_flag=True, help="Every translated entry of the catalog.")
def catalogs_mark(
    language: str,
    who: str,
    status: str,
    day: str | None,
    entries: tuple[str, ...],
    entries_file: Path | None,
    everything: bool,
) -> None:
    """Mark entries of LANGUAGE's catalog as read: reviewed (a qualified medical translator)
    or checked (someone else; a second reader still needed). The line names who and when,
    with a fingerprint of the English and the translation, so it lapses if either changes."""
    locales = i18n.LOCALES
    if language == i18n.DEFAULT_LANGUAGE or not review.catalog_path(language, locales).exists():
        with_catalogs = [t for t in i18n.registry() if t != i18n.DEFAULT_LANGUAGE]
        raise Fail(
            f"No catalog to mark for {language!r}; the catalogs are {', '.join(with_catalogs)}."
        )
    when = _day(day)
    catalog = review.read_catalog(language, locales)
    wanted = _wanted(catalog, entries, entries_file, everything)
    unknown = [m for m in wanted if catalog.get(m) is None]
    if unknown:
        shown = "; ".join(repr(m[:60]) for m in unknown[:3])
        raise Fail(
            f"{len(unknown)} of the entries are not in the {language} catalog ({shown}); "
            "give the English msgid exactly as in locales/messages.pot. Nothing was marked."
        )
    try:
        marked = review.mark(catalog, wanted, status, who, when)
    except review.ReviewLineError as problem:
        raise Fail(f"{problem}. Nothing was marked.") from None
    review.write_catalog(language, catalog, locales)
    name = i18n.registry()[language].english_name if language in i18n.registry() else language
    noun = "entry" if len(marked) == 1 else "entries"
    click.echo(f"Marked {len(marked)} {noun} of the {name} catalog as {status} by {who}, {when}.")
    now = review_status(locales).get(language)
    if now is not None:
        click.echo(f"{name}: {now.shares}.")
        if not now.draft:
            click.echo(
                "Every entry is reviewed: change the catalog's header to 'Review status: "
                "REVIEWED by <name>, <date>' and locales/languages.toml to review = "
                '"reviewed" (docs/TRANSLATING.md).'
            )


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Fail(f"--on {text!r} is not a date such as 2027-01-15.") from None


def _wanted(
    catalog: Catalog,
    entries: tuple[str, ...],
    entries_file: Path | None,
    everything: bool,
) -> list[str]:
    wanted = list(entries)
    if entries_file is not None:
        try:
            text = entries_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise Fail(f"{entries_file} is not UTF-8 text.") from None
        wanted += [line.strip() for line in text.splitlines() if line.strip()]
    if everything:
        wanted += [
            m.id for m in catalog if isinstance(m.id, str) and m.id and m.string and not m.fuzzy
        ]
    if not wanted:
        raise Fail("Name the entries to mark: --entry MSGID, --entries-file FILE, or --all.")
    return list(dict.fromkeys(wanted))
