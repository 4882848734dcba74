"""Who has read each translation, and how much of a catalog a qualified medical translator
has reviewed.

Each catalog entry may carry one translator comment (a `#` line, which `read_po`, `write_po`
and `pybabel update` all keep; `#.` lines are rewritten from the template on every update):

    # review: reviewed by Ana Pérez (CoreCHI), 2027-01-15 [1f0c9a2e]
    # review: checked by MedSync translation review (second reader needed), 2026-12-07 [5d41402a]

- "reviewed": a qualified medical translator reviewed this entry.
- "checked": someone else read and mended it (a developer, a bilingual colleague); a
  qualified second reader is still needed.
- an entry with no review line is a "draft", as the catalog's header says.

The bracketed fingerprint is taken from the English and the translation as they were read: when
either changes later, the line no longer matches and the entry counts as "changed" (a draft
again) until someone reads it and marks it anew. Untranslated and fuzzy entries are "missing":
patients get them in English.

Everything here works on babel catalogs and is free of I/O, except the functions under "the
files" at the end, which read and write locales/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent
PREFIX = "review:"
MARKS = ("checked", "reviewed")
# Every status an entry can have, from least to most read.
STATUSES = ("missing", "draft", "changed", *MARKS)
# A catalog is shown as a draft until a qualified translator has reviewed this share of it.
DRAFT_BELOW = 1.0
_LINE = re.compile(
    r"^review: (?P<status>checked|reviewed) by (?P<who>.+), "
    r"(?P<day>\d{4}-\d{2}-\d{2}) \[(?P<fingerprint>[0-9a-f]{8})\]$"
)
_CLOSED = re.compile(r"\[[0-9a-f]{8}\]$")  # the last comment line of a wrapped record


class ReviewLineError(ValueError):
    """A `# review:` comment MedSync cannot read: the sentence says which and why."""


@dataclass(frozen=True)
class EntryReview:
    status: str  # one of STATUSES
    who: str = ""
    day: dt.date | None = None


def fingerprint(msgid: str, msgstr: str) -> str:
    """Eight hex digits naming this English sentence with this translation."""
    return hashlib.sha256(f"{msgid}\x04{msgstr}".encode()).hexdigest()[:8]


def review_line(status: str, who: str, day: dt.date, msgid: str, msgstr: str) -> str:
    """The comment text (without the leading "# ") that marks one entry as read."""
    if status not in MARKS:
        raise ReviewLineError(f"review status must be one of {MARKS}, not {status!r}")
    who = " ".join(who.split())
    if not who:
        raise ReviewLineError("a review line needs the name of whoever read the entry")
    return f"{PREFIX} {status} by {who}, {day.isoformat()} [{fingerprint(msgid, msgstr)}]"


def _msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _msgstr(message: Message) -> str:
    if isinstance(message.string, str) or message.string is None:
        return message.string or ""
    return "\x00".join(message.string)  # plural forms


def _split(comments: Iterable[str]) -> tuple[list[str], list[str]]:
    """Other translator comments, and each review record as one line. write_po wraps comments
    at 76 characters, so a record runs from its "review:" line to the line that closes its
    fingerprint with "]"."""
    others: list[str] = []
    records: list[str] = []
    open_record: list[str] | None = None
    for comment in comments:
        if open_record is None and comment.startswith(PREFIX):
            open_record = []
        if open_record is None:
            others.append(comment)
            continue
        open_record.append(comment.strip())
        if _CLOSED.search(comment.rstrip()):
            records.append(" ".join(open_record))
            open_record = None
    if open_record is not None:
        records.append(" ".join(open_record))
    return others, records


def entry_review(message: Message) -> EntryReview:
    """What the entry's review line says, checked against its current text."""
    if not message.string or message.fuzzy:
        return EntryReview("missing")
    _, records = _split(message.user_comments)
    if not records:
        return EntryReview("draft")
    if len(records) > 1:
        raise ReviewLineError(f"{_msgid(message)[:50]!r} has {len(records)} review lines; keep one")
    found = _LINE.match(records[0])
    if found is None:
        raise ReviewLineError(
            f"{_msgid(message)[:50]!r}: cannot read {records[0]!r}; write "
            f"'{PREFIX} reviewed by <name>, <YYYY-MM-DD> [<fingerprint>]' (docs/TRANSLATING.md)"
        )
    try:
        day = dt.date.fromisoformat(found["day"])
    except ValueError:
        raise ReviewLineError(f"{_msgid(message)[:50]!r}: no such date {found['day']}") from None
    if found["fingerprint"] != fingerprint(_msgid(message), _msgstr(message)):
        return EntryReview("changed", found["who"], day)
    return EntryReview(found["status"], found["who"], day)


def mark(catalog: Catalog, msgids: Iterable[str], status: str, who: str, day: dt.date) -> list[str]:
    """Give each named entry one review line (replacing any it had); returns the msgids
    marked. An untranslated or fuzzy entry cannot be marked: there is nothing to vouch for."""
    marked = []
    for msgid in msgids:
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            raise ReviewLineError(f"{msgid[:50]!r} has no finished translation to mark")
        line = review_line(status, who, day, msgid, _msgstr(message))
        others, _ = _split(message.user_comments)
        message.user_comments = [*others, line]
        marked.append(msgid)
    return marked


@dataclass(frozen=True)
class CatalogReview:
    """How far one catalog has been read, over the template's msgids."""

    language: str
    total: int
    counts: Mapping[str, int] = field(default_factory=dict)
    # The newest review of a qualified translator (reviewed), and of anyone (checked).
    last_reviewed: dt.date | None = None
    last_checked: dt.date | None = None

    def share(self, *statuses: str) -> float:
        return sum(self.counts.get(s, 0) for s in statuses) / self.total if self.total else 0.0

    @property
    def reviewed_share(self) -> float:
        """Share of entries a qualified medical translator reviewed (as they now read)."""
        return self.share("reviewed")

    @property
    def read_share(self) -> float:
        """Share of entries someone read and vouched for, reviewed or checked."""
        return self.share(*MARKS)

    def is_draft(self, threshold: float = DRAFT_BELOW) -> bool:
        """Still a draft: less than `threshold` of it reviewed by a qualified translator."""
        return self.reviewed_share < threshold


def catalog_review(language: str, catalog: Catalog, template_ids: Iterable[str]) -> CatalogReview:
    """Counts of each review status over the template's msgids (a msgid the catalog lacks is
    "missing"; entries the template no longer has are not counted)."""
    counts: Counter[str] = Counter()
    newest: dict[str, dt.date] = {}
    ids = set(template_ids)
    for msgid in ids:
        message = catalog.get(msgid)
        review = entry_review(message) if message is not None else EntryReview("missing")
        counts[review.status] += 1
        if review.status in MARKS and review.day is not None:
            newest[review.status] = max(review.day, newest.get(review.status, review.day))
    return CatalogReview(
        language=language,
        total=len(ids),
        counts=dict(counts),
        last_reviewed=newest.get("reviewed"),
        last_checked=newest.get("checked"),
    )


# ---------------------------------------------------------------------- the files


def catalog_path(language: str, locales: Path = LOCALES) -> Path:
    return locales / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def read_catalog(language: str, locales: Path = LOCALES) -> Catalog:
    with catalog_path(language, locales).open("rb") as f:
        return read_po(f, locale=language.replace("-", "_"))


def write_catalog(language: str, catalog: Catalog, locales: Path = LOCALES) -> None:
    """Write a catalog back as `make catalogs` does, keeping its header: omit_header=True would
    drop the "Review status:" lines."""
    with catalog_path(language, locales).open("wb") as f:
        write_po(f, catalog, no_location=True, omit_header=False, sort_output=True)


def template_ids(locales: Path = LOCALES) -> set[str]:
    with (locales / "messages.pot").open("rb") as f:
        return {_msgid(m) for m in read_po(f) if m.id}


def review_shares(locales: Path = LOCALES) -> dict[str, CatalogReview]:
    """Every catalog's review counts, by BCP 47 tag ("zh-Hans"), for reports and the inbox."""
    ids = template_ids(locales)
    shares = {}
    for po in sorted(locales.glob("*/LC_MESSAGES/messages.po")):
        language = po.parts[-3].replace("_", "-")
        shares[language] = catalog_review(language, read_catalog(language, locales), ids)
    return shares


def keypad_only(locales: Path = LOCALES) -> dict[str, str]:
    """Languages whose calls have no voice of their own ([keypad_only] in locales/voice.toml):
    tag -> why, for the report beside each catalog's review share."""
    with (locales / "voice.toml").open("rb") as f:
        raw = tomllib.load(f)
    return {str(tag): str(why) for tag, why in raw.get("keypad_only", {}).items()}
