"""A pharmacy's language switches: each language on or off at this pharmacy, how far its
translations were reviewed, and the checks on a change. `medsync pharmacy languages` and the
inbox's language page both go through here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.languages import catalogs
from bot.languages.review_status import LanguageReview, review_status


class SwitchRefused(ValueError):
    """A change that cannot be made: the message is one sentence for staff."""


def switched(
    before: Mapping[str, bool],
    on: Iterable[str] = (),
    off: Iterable[str] = (),
    reset: Iterable[str] = (),
) -> dict[str, bool]:
    """The pharmacy's switches after turning languages on, off, or back to the registry's
    default (`reset`)."""
    on, off, reset = tuple(on), tuple(off), tuple(reset)
    wanted = {**dict.fromkeys(reset), **dict.fromkeys(on, True), **dict.fromkeys(off, False)}
    for tag in wanted:
        if tag not in catalogs.registry():
            known = ", ".join(catalogs.registry())
            raise SwitchRefused(f"No language {tag!r}; the languages are {known}.")
        if tag == catalogs.DEFAULT_LANGUAGE and wanted[tag] is False:
            raise SwitchRefused("English cannot be turned off: patients get it when theirs is off.")
    if set(off) & (set(on) | set(reset)):
        raise SwitchRefused("A language cannot be turned off and on in one command.")
    after = {k: v for k, v in before.items() if k not in wanted}
    after.update({k: v for k, v in wanted.items() if v is not None})
    return after


@dataclass(frozen=True)
class LanguageSwitch:
    language: str
    english_name: str
    native_name: str
    on: bool
    state: str  # "on", "OFF (English)", "no catalog yet (English)", ...
    set_here: bool  # this pharmacy chose (else the registry's default applies)
    review: LanguageReview | None  # None: no catalog yet

    @property
    def draft(self) -> bool:
        return self.review is not None and self.review.draft

    @property
    def may_switch(self) -> bool:
        return self.language != catalogs.DEFAULT_LANGUAGE and catalogs.has_catalog(self.language)


def switches(overrides: Mapping[str, bool]) -> list[LanguageSwitch]:
    """Every registry language at a pharmacy with these switches, in menu order."""
    reviews = review_status(catalogs.LOCALES)
    rows = []
    for tag, entry in catalogs.registry().items():
        on = catalogs.is_enabled(tag, overrides)
        checked = catalogs.check_catalog(tag)
        if not checked.exists:
            state = "no catalog yet (English)"
        elif not on:
            state = "OFF (English)"
        else:
            state = "on" if checked.complete else "on, catalog incomplete (gaps in English)"
        rows.append(
            LanguageSwitch(
                tag,
                entry.english_name,
                entry.native_name,
                on,
                state,
                tag in overrides,
                reviews.get(tag),
            )
        )
    return rows
