"""How records read on the pharmacist's screen: masked numbers, ages, local times, labels."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel import Locale

from store.models import ReviewKind, ReviewStatus

KIND_LABELS: dict[ReviewKind, str] = {
    ReviewKind.NEW_ENROLLMENT: "New enrollment",
    ReviewKind.FLAGGED_CHECK_IN: "Flagged check-in",
    ReviewKind.CALL_BACK: "Call-back request",
    ReviewKind.POSSIBLE_OPT_OUT: "Possible opt-out",
    ReviewKind.UNKNOWN_SENDER: "Unknown sender",
    ReviewKind.NO_ANSWER: "No answer",
    ReviewKind.MESSAGE: "Message",
    ReviewKind.RENEWAL: "Renewal needed",
    ReviewKind.NOT_PICKED_UP: "Not picked up",
    ReviewKind.DROPPED_OUT: "Dropped out",
}
STATUS_LABELS: dict[str, str] = {
    ReviewStatus.PENDING.value: "Pending",
    ReviewStatus.APPROVED.value: "Approved",
    ReviewStatus.DECLINED.value: "Declined",
    ReviewStatus.DONE.value: "Closed",
    "all": "All",
}


def kind_label(kind: ReviewKind | str) -> str:
    value = kind.value if isinstance(kind, ReviewKind) else str(kind)
    for known, label in KIND_LABELS.items():
        if known.value == value:
            return label
    return value.replace("_", " ").capitalize()  # a kind added since this list was written


def masked_phone(phone: str | None) -> str:
    """Only the last four digits: enough to tell numbers apart across a pharmacy counter."""
    digits = [c for c in phone or "" if c.isdigit()]
    if len(digits) < 4:
        return "•••"
    return "(•••) •••-" + "".join(digits[-4:])


def age(birth_date: dt.date | None, today: dt.date) -> int | None:
    if birth_date is None:
        return None
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def language_name(tag: str | None) -> str:
    if not tag:
        return "English"
    try:
        return str(Locale.parse(tag, sep="-").get_display_name("en") or tag)
    except (ValueError, LookupError):
        return tag


def local(when: dt.datetime | None, timezone: str, with_date: bool = True) -> str:
    """ "Sun Nov 29, 10:00 AM" in the pharmacy's time zone."""
    if when is None:
        return ""
    moment = when.astimezone(ZoneInfo(timezone))
    clock = moment.strftime("%I:%M %p").lstrip("0")
    return f"{moment:%a %b} {moment.day}, {clock}" if with_date else clock


def day(value: dt.date | None) -> str:
    return "" if value is None else f"{value:%a %b} {value.day}, {value.year}"


def ago(when: dt.datetime, now: dt.datetime) -> str:
    """How long an item has waited: what a queue is sorted against."""
    minutes = max(0, int((now - when).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"
