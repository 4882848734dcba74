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


def key_words(key: str | None) -> str:
    """An internal key as staff read it: 'missed_doses' -> 'Missed doses'."""
    text = str(key or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


ENROLLMENT_WORDS = {
    "consented": "Said yes; no pickup day chosen yet",
    "pending_review": "Waiting for a pharmacist's review",
    "active": "Active",
    "declined": "Declined med sync",
    "disenrolled": "Left med sync",
}


def enrollment_words(status: str | None, enrollment_item_status: str | None = None) -> str:
    """The patient's med sync status in words, from the enrollment and the latest enrollment
    review item: a pharmacist's decline shows as declined, never as "pending review"."""
    if status is None:
        return "Not enrolled"
    if status == "pending_review" and enrollment_item_status == ReviewStatus.DECLINED.value:
        return "Enrollment declined by a pharmacist"
    return ENROLLMENT_WORDS.get(status, key_words(status))


def status_words(status: ReviewStatus | str) -> str:
    value = status.value if isinstance(status, ReviewStatus) else str(status)
    return STATUS_LABELS.get(value, key_words(value))
