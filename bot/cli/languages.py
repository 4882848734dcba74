"""`medsync catalogs` (how long every message is in every language, how far each catalog was
reviewed, what each lacks) and `medsync pharmacy languages` (turning a language on or off at
one pharmacy)."""

from __future__ import annotations

import datetime as dt
import getpass
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import click

from bot.channels.sms_text import compose
from bot.cli.catalog_marks import catalogs_mark
from bot.languages import catalogs as i18n
from bot.languages.review_status import draft_means, review_status
from bot.languages.segments import Segments, count
from bot.languages.switches import SwitchRefused, switched, switches
from dialogs import engine, prompts
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Param, Reply, Say, Start, Timeout
from locales import glossary

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# A whole year of dates: each language's longest written date stands in for %(date)s.
_YEAR = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(365)]
UNKNOWN_PLACEHOLDER = "X" * 12
# The language menu names every language in its own script, so it always goes as UCS-2.
MENU = "language menu"
MENU_MAX_SEGMENTS = 4


@dataclass(frozen=True)
class Sample:
    """What the report fills placeholders with: long but realistic values."""

    first_name: str = "Christopher"
    pharmacy: str = "Main Street Pharmacy"
    pharmacy_phone: str = "(212) 555-0199"

    def params(self, msgid: str, language: str) -> tuple[dict[str, Param], list[str]]:
        """Parameters for a msgid, and the placeholders the report had to guess."""
        known: dict[str, Param] = {
            "first_name": self.first_name,
            "pharmacy": self.pharmacy,
            "pharmacy_phone": self.pharmacy_phone,
            "date": longest_date(language),
            "day": 28,
            "names": ("Christopher", "Elizabeth"),
            "everyone": ("Christopher", "Elizabeth"),
            "years": ("1944", "1947"),
            "name": "Christopher",
            "key": 2,
            # caregivers: who added the caregiver, and the caregivers' numbers
            "patient": "Christopher",
            "phone": "(212) 555-0199",
            "phones": "(212) 555-0199, (617) 555-0199",
            "choices": menu_choices(),
            "options": ("Somewhat better", "About the same", "Somewhat worse"),
            # the cost disclosure and the reminder for patients who opted in to drug names
            "prorated": "$118.40",
            "usual": "$230.00",
            "medicines": "Atorvastatin 40 mg tablet, Lisinopril 10 mg tablet",
            # the pharmacy's opening hours, told when a patient asks (issue 15)
            "hours": "Mon-Fri 9am-7pm, Sat 9am-5pm, Sun 10am-4pm",
            "count": 3,  # the visits before the first synced pickup
        }
        params: dict[str, Param] = {}
        guessed = []
        for name in PLACEHOLDER.findall(msgid):
            if name in known:
                params[name] = known[name]
            else:
                params[name] = UNKNOWN_PLACEHOLDER
                guessed.append(name)
        return params, guessed


def longest_date(language: str) -> dt.date:
    return max(_YEAR, key=lambda day: len(i18n.format_date(day, language)))


def menu_choices() -> str:
    offered = i18n.offered_languages()
    return ", ".join(f"{n} {name}" for n, (_, name) in enumerate(offered, start=1)) + "."


@dataclass(frozen=True)
class Measured:
    what: str  # a msgid, or the name of an automated text
    text: str
    segments: Segments
    automated: bool = False
    guessed: tuple[str, ...] = ()


def messages(language: str, sample: Sample = Sample()) -> list[Measured]:
    """Every message of the template, rendered alone in `language`."""
    out = []
    for msgid in sorted(i18n.template_ids()):
        params, guessed = sample.params(msgid, language)
        text = i18n.render(Say(msgid, params), language)
        out.append(Measured(msgid, text, count(text), guessed=tuple(guessed)))
    return out


def automated_texts(language: str, sample: Sample = Sample()) -> list[Measured]:
    """The texts MedSync sends without being asked, as the engine composes them (question,
    how to answer, how to stop), each one SMS: they must fit the language's max_segments."""
    anchor = longest_date(language)
    facts = PatientFacts(id=1, first_name=sample.first_name, language=language)
    ctx = Context(
        today=anchor - dt.timedelta(days=7),
        pharmacy_name=sample.pharmacy,
        pharmacy_phone=sample.pharmacy_phone,
        patients=(facts,),
        vocab=i18n.vocabulary_for(language),
        languages=i18n.offered_languages(),
    )
    enrollment = Start("enrollment", {"patient_id": 1})
    check_in = Start("check_in", {"patient_id": 1, "anchor_date": anchor})
    opened = engine.step(State(), check_in, ctx).state
    invited = engine.step(State(), enrollment, ctx).state
    turns: dict[str, tuple[Reply, ...]] = {
        "invitation": engine.step(State(), enrollment, ctx).replies,
        "check-in opener": engine.step(State(), check_in, ctx).replies,
        "check-in reminder": engine.step(opened, Timeout(), ctx).replies,
        "invitation reminder": engine.step(invited, Timeout(), ctx).replies,
        "pickup reminder": (
            Say(prompts.PICKUP_REMINDER, {"pharmacy": sample.pharmacy, "date": anchor}),
        ),
        # While a renewal of the pickup is pending (bot/program/renewals.py), and the same to
        # a phone several patients share.
        "pickup reminder, renewal pending": (
            Say(prompts.PICKUP_REMINDER_RENEWAL, {"pharmacy": sample.pharmacy, "date": anchor}),
        ),
        "pickup reminder for, renewal pending": (
            Say(
                prompts.PICKUP_REMINDER_FOR_RENEWAL,
                {"pharmacy": sample.pharmacy, "date": anchor, "first_name": sample.first_name},
            ),
        ),
        # To a patient who has their medicines delivered (the delivery preference), with and
        # without a pending renewal, and the same to a shared phone.
        "pickup reminder, delivery": (
            Say(prompts.PICKUP_REMINDER_DELIVERY, {"pharmacy": sample.pharmacy, "date": anchor}),
        ),
        "pickup reminder for, delivery": (
            Say(
                prompts.PICKUP_REMINDER_FOR_DELIVERY,
                {"pharmacy": sample.pharmacy, "date": anchor, "first_name": sample.first_name},
            ),
        ),
        "pickup reminder, delivery, renewal pending": (
            Say(
                prompts.PICKUP_REMINDER_DELIVERY_RENEWAL,
                {"pharmacy": sample.pharmacy, "date": anchor},
            ),
        ),
        "pickup reminder for, delivery, renewal pending": (
            Say(
                prompts.PICKUP_REMINDER_FOR_DELIVERY_RENEWAL,
                {"pharmacy": sample.pharmacy, "date": anchor, "first_name": sample.first_name},
            ),
        ),
        "plan approved": (
            Say(
                prompts.ENROLLMENT_APPROVED,
                {
                    "first_name": sample.first_name,
                    "pharmacy": sample.pharmacy,
                    "day": 28,
                    "date": anchor,
                },
            ),
        ),
    }
    if language == i18n.DEFAULT_LANGUAGE:  # shown in English to a patient of unknown language
        unknown = PatientFacts(id=1, first_name=sample.first_name, language_confirmed=False)
        turns[MENU] = engine.step(State(), enrollment, replace(ctx, patients=(unknown,))).replies
    out = []
    for name, replies in turns.items():
        text = compose(replies, language, automated=True)
        out.append(Measured(name, text, count(text), automated=True))
    return out


def limit_for(language: str, what: str) -> int:
    if what == MENU:
        return MENU_MAX_SEGMENTS
    entry = i18n.registry().get(language)
    return entry.max_segments if entry else 1


def over_limit(language: str, sample: Sample = Sample()) -> list[Measured]:
    """Automated texts longer than the language's max_segments."""
    return [
        m
        for m in automated_texts(language, sample)
        if m.segments.count > limit_for(language, m.what)
    ]


def reported_languages(only: tuple[str, ...] = ()) -> Iterator[str]:
    for tag in i18n.registry():
        if (not only or tag in only) and i18n.has_catalog(tag):
            yield tag


# ---------------------------------------------------------------------- commands


@click.group("catalogs")
def catalogs() -> None:
    """The translations: their lengths as SMS, how far each was reviewed, what each lacks."""


catalogs.add_command(catalogs_mark)


@catalogs.command("report")
@click.option("--language", "only", multiple=True, help="Only this language (repeatable).")
@click.option("--top", default=5, show_default=True, help="Longest messages listed per language.")
@click.option("--pharmacy-name", default=Sample.pharmacy, show_default=True)
@click.option("--first-name", default=Sample.first_name, show_default=True)
@click.option("--check", is_flag=True, help="Exit 1 if an automated text is over its limit.")
def catalogs_report(
    only: tuple[str, ...], top: int, pharmacy_name: str, first_name: str, check: bool
) -> None:
    """How far each catalog was reviewed, and SMS segments of every message in every language,
    longest first.

    GSM-7 texts hold 160 characters (153 a segment when split); anything else, one Chinese,
    Korean or Vietnamese letter or an emoji, goes as UCS-2: 70 (67).
    """
    unknown = set(only) - set(i18n.registry())
    if unknown:
        raise click.ClickException(
            f"No language {', '.join(sorted(unknown))} in locales/languages.toml; "
            f"known: {', '.join(i18n.registry())}."
        )
    sample = Sample(first_name=first_name, pharmacy=pharmacy_name)
    reviews = review_status(i18n.LOCALES)
    over = drafts = 0
    for tag in reported_languages(only):
        entry = i18n.registry()[tag]
        measured = messages(tag, sample)
        ucs2 = sum(1 for m in measured if m.segments.encoding == "UCS-2")
        click.echo(
            f"\n{entry.english_name} ({tag}), review: {entry.review}; "
            f"{len(measured)} messages, {ucs2} sent as UCS-2; "
            f"automated texts may take {entry.max_segments} segments"
        )
        read = reviews.get(tag)
        if read is not None and read.counted is not None:
            drafts += read.draft
            click.echo(f"  {'DRAFT' if read.draft else 'reviewed'}: {read.shares}")
        if read is not None and read.keypad_only:
            click.echo(f"  calls: {read.keypad_only}")
        for m in automated_texts(tag, sample):
            flag = "  OVER" if m.segments.count > limit_for(tag, m.what) else ""
            over += bool(flag)
            click.echo(f"  {_figures(m.segments)}  automated: {m.what}{flag}")
        longest = sorted(measured, key=lambda m: (m.segments.count, m.segments.units))[::-1]
        for m in longest[:top]:
            guessed = f" (guessed {', '.join(m.guessed)})" if m.guessed else ""
            click.echo(f"  {_figures(m.segments)}  {_short(m.what)}{guessed}")
    if drafts:
        click.echo(f"\n{draft_means()}")
    if over:
        click.echo(f"\n{over} automated text(s) over their language's limit: shorten them.")
        if check:
            raise SystemExit(1)


def _figures(s: Segments) -> str:
    return f"{s.count} seg {s.units:>4} {s.encoding}"


def _short(msgid: str, width: int = 70) -> str:
    return msgid if len(msgid) <= width else msgid[: width - 3] + "..."


@catalogs.command("check")
@click.option("--language", "only", multiple=True, help="Only this language (repeatable).")
def catalogs_check(only: tuple[str, ...]) -> None:
    """Entries each catalog lacks (sent in English), placeholders that differ from English,
    departures from the language's glossary, and automated texts over its segment limit.

    Run `make catalogs` first so the template has every message of the code.
    """
    problems = 0
    for tag, entry in i18n.registry().items():
        if only and tag not in only:
            continue
        result = i18n.check_catalog(tag)
        if not result.exists:
            click.echo(f"{tag}: no catalog yet; patients get English ({entry.english_name}).")
            continue
        status = "complete" if result.complete else "INCOMPLETE"
        own_words = (
            [] if tag == i18n.DEFAULT_LANGUAGE else glossary.catalog_problems(tag, i18n.LOCALES)
        )
        too_long = over_limit(tag)
        fits = f"automated texts within {entry.max_segments} segments" if not too_long else ""
        if fits and tag == i18n.DEFAULT_LANGUAGE:
            fits += f" (the language menu within {MENU_MAX_SEGMENTS})"
        follows = "glossary followed" if tag != i18n.DEFAULT_LANGUAGE and not own_words else ""
        click.echo(
            "; ".join(p for p in (f"{tag}: {status}, review: {entry.review}", follows, fits) if p)
        )
        for msgid in result.missing:
            click.echo(f"  missing (sent in English): {_short(msgid)}")
        for error in result.placeholder_errors:
            click.echo(f"  placeholders differ: {error}")
        for problem in own_words:
            click.echo(f"  glossary: {problem}")
        for m in too_long:
            click.echo(
                f"  over the limit: {m.what} takes {m.segments.count} segments, "
                f"the limit is {limit_for(tag, m.what)}"
            )
        problems += len(result.missing) + len(result.placeholder_errors)
        problems += len(own_words) + len(too_long)
    if problems:
        raise click.ClickException(f"{problems} problem(s): see docs/TRANSLATING.md.")


@click.command("languages")
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
@click.option("--disable", "off", multiple=True, help="Turn this language off (repeatable).")
@click.option("--enable", "on", multiple=True, help="Turn this language on (repeatable).")
@click.option("--default", "reset", multiple=True, help="Back to the registry's default.")
def pharmacy_languages(
    which: str | None, off: tuple[str, ...], on: tuple[str, ...], reset: tuple[str, ...]
) -> None:
    """Show the languages a pharmacy writes in; turn one off (its patients get English and
    staff are told) or on."""
    from bot.cli.common import Fail
    from bot.cli.common import pharmacy_named as _pharmacy
    from bot.cli.common import sessions_for as _sessions
    from bot.settings import get_settings
    from store.db import transaction
    from store.models import AuditEvent

    try:
        switched({}, on, off, reset)  # refused before the database is opened
    except SwitchRefused as refused:
        raise Fail(str(refused)) from None
    with transaction(_sessions(get_settings())) as session:
        pharmacy = _pharmacy(session, which)
        before = dict(pharmacy.language_overrides or {})
        after = switched(before, on, off, reset)
        if after != before:
            pharmacy.language_overrides = after
            session.add(
                AuditEvent(
                    actor=f"cli:{getpass.getuser()}"[:200],
                    action="pharmacy.languages",
                    subject=f"pharmacy:{pharmacy.id}",
                    before={"language_overrides": before},
                    after={"language_overrides": after},
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
        click.echo(f"Languages at {pharmacy.name}:")
        for line in language_table(after):
            click.echo(line)


def language_table(overrides: Mapping[str, bool]) -> list[str]:
    """One line per language; then what "draft" means, when one is."""
    lines = []
    rows = switches(overrides)
    for row in rows:
        review = ""
        if row.review is not None and row.review.counted is not None:
            review = f", {row.review.label}"
        if row.review is not None and row.review.keypad_only:
            review += ", calls keypad only (English)"
        lines.append(f"  {row.language:8} {row.english_name:22} {row.state}{review}")
    if any(row.draft for row in rows):
        lines.append(draft_means())
    return lines
