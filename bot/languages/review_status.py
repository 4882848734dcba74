"""How far each language's translations have been read, in staff's words: the share a qualified
medical translator reviewed, the share someone else checked (a second reader still needed),
whether the language is still a draft (locales/review.py), and whether its calls are keypad
only (locales/voice.toml). `medsync catalogs report`, `medsync pharmacy languages` and the
inbox's language page all say it the same way, from here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from locales import review

DRAFT_MEANS = (
    "Draft: a qualified medical translator has {reviewed} the language's texts. MedSync's "
    "developers wrote them, and some were checked by a bilingual reader, but a patient may "
    "still misread a draft. Have the catalog reviewed (docs/TRANSLATING.md), or turn the "
    "language off: its patients then get English."
)


@dataclass(frozen=True)
class LanguageReview:
    language: str
    counted: review.CatalogReview | None  # None: English (the source), or no catalog yet
    keypad_only: str = ""  # why calls in this language have no voice of their own

    @property
    def draft(self) -> bool:
        return self.counted is not None and self.counted.is_draft(review.DRAFT_BELOW)

    @property
    def shares(self) -> str:
        """ "0 of 124 entries reviewed by a qualified medical translator (0%); 16 checked, a
        second reader needed (13%)", and entries changed since they were read or missing."""
        c = self.counted
        if c is None:
            return ""
        parts = [
            f"{c.counts.get('reviewed', 0)} of {c.total} entries reviewed by a qualified "
            f"medical translator ({percent(c.reviewed_share)})",
            f"{c.counts.get('checked', 0)} checked, a second reader needed "
            f"({percent(c.share('checked'))})",
        ]
        if c.counts.get("changed"):
            parts.append(f"{c.counts['changed']} changed since they were read")
        if c.counts.get("missing"):
            parts.append(f"{c.counts['missing']} missing (sent in English)")
        return "; ".join(parts)

    @property
    def label(self) -> str:
        """A few words for a table: "DRAFT: 0% reviewed, 13% checked", "reviewed", "source"."""
        c = self.counted
        if c is None:
            return "source" if self.language == "en" else "no catalog"
        figures = f"{percent(c.reviewed_share)} reviewed, {percent(c.share('checked'))} checked"
        return f"DRAFT: {figures}" if self.draft else f"reviewed: {figures}"


def draft_means() -> str:
    """What "draft" means, one paragraph for staff."""
    below = review.DRAFT_BELOW
    reviewed = (
        "not yet reviewed all of" if below >= 1 else f"reviewed less than {percent(below)} of"
    )
    return DRAFT_MEANS.format(reviewed=reviewed)


def percent(share: float) -> str:
    """Rounded down: a catalog 99.6% reviewed is not shown as 100% and still a draft."""
    return f"{math.floor(share * 100 + 1e-9)}%"  # 0.29 * 100 is 28.999...: not 28%


def review_status(locales: Path | None = None) -> dict[str, LanguageReview]:
    """Every language with a catalog (and English), by tag: read again only when a catalog,
    the template or voice.toml changed, since the inbox asks on every page view."""
    folder = locales or review.LOCALES
    files = [folder / "messages.pot", folder / "voice.toml"]
    files += sorted(folder.glob("*/LC_MESSAGES/messages.po"))
    return _read(folder, tuple((str(f), f.stat().st_mtime_ns) for f in files))


@lru_cache(maxsize=4)
def _read(folder: Path, _files: tuple[tuple[str, int], ...]) -> dict[str, LanguageReview]:
    keypad = review.keypad_only(folder)
    shares = review.review_shares(folder)
    found = {"en": LanguageReview("en", None, keypad.get("en", ""))}
    for language, counted in shares.items():
        found[language] = LanguageReview(language, counted, keypad.get(language, ""))
    return found
