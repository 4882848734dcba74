"""Item sentences and labels worked out from current state (bot/inbox/summaries.py, display)."""

from __future__ import annotations

import datetime as dt

from bot.inbox import display
from bot.inbox.summaries import current_summary
from store.models import (
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

NOW = dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC)


def _item(kind: ReviewKind, status: ReviewStatus = ReviewStatus.PENDING) -> ReviewItem:
    return ReviewItem(kind=kind, status=status, summary="as stored", created_at=NOW)


def _enrollment(status: EnrollmentStatus, day: int | None = 20) -> Enrollment:
    return Enrollment(status=status, anchor_day=day, next_anchor_date=dt.date(2026, 12, 20))


def test_an_enrollment_item_reads_the_enrollment_as_it_is_now() -> None:
    item = _item(ReviewKind.NEW_ENROLLMENT)
    assert current_summary(item, _enrollment(EnrollmentStatus.PENDING_REVIEW), None) == (
        "New enrollment: pickup day 20, first synced pickup Sun Dec 20, 2026. "
        "Please review the sync plan and approve."
    )
    declined = current_summary(item, _enrollment(EnrollmentStatus.DECLINED), None)
    assert declined == "The patient declined med sync; there is nothing to approve."
    active = current_summary(
        _item(ReviewKind.NEW_ENROLLMENT, ReviewStatus.APPROVED),
        _enrollment(EnrollmentStatus.ACTIVE),
        None,
    )
    assert active == "Enrolled: pickup day 20, next pickup Sun Dec 20, 2026."
    by_pharmacist = current_summary(
        _item(ReviewKind.NEW_ENROLLMENT, ReviewStatus.DECLINED),
        _enrollment(EnrollmentStatus.PENDING_REVIEW),
        None,
    )
    assert by_pharmacist.startswith("Enrollment declined by a pharmacist")
    assert current_summary(item, None, None) == "as stored"


def test_a_flagged_check_in_names_its_reasons_and_its_state() -> None:
    check_in = CheckIn(
        anchor_date=dt.date(2026, 12, 15),
        status=CheckInStatus.FLAGGED,
        flags=["hospital", "a_key_no_definition_has"],
    )
    text = current_summary(_item(ReviewKind.FLAGGED_CHECK_IN), None, check_in)
    assert text.startswith("Check-in for the Tue Dec 15, 2026 pickup needs review: ")
    assert "A key no definition has" in text and "hospital" in text.lower()
    assert text.endswith("The fill is on hold.")
    check_in.status = CheckInStatus.APPROVED
    assert "approved it" in current_summary(_item(ReviewKind.FLAGGED_CHECK_IN), None, check_in)


def test_keys_statuses_and_language_tags_read_as_words() -> None:
    assert display.key_words("missed_doses") == "Missed doses"
    assert display.key_words("anything_else") == "Anything else"
    assert display.language_name("zh-Hans") == "Chinese (Simplified)"
    assert display.status_words(ReviewStatus.DONE) == "Closed"
    assert display.enrollment_words("pending_review") == "Waiting for a pharmacist's review"
    assert display.enrollment_words("pending_review", "declined") == (
        "Enrollment declined by a pharmacist"
    )
    assert display.enrollment_words(None) == "Not enrolled"
