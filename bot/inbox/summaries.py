"""An item's sentence for staff, worked out from the records as they are now (issue 18): the
summary stored when the item opened goes stale once the pickup day moves or the patient
declines, so the pages and the queue rows read it from here."""

from __future__ import annotations

from bot.inbox.display import day, key_words
from dialogs.assessment_file import check_in_for
from store.models import (
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)


def flag_reasons(check_in: CheckIn, pharmacy: Pharmacy | None) -> list[str]:
    """Why each flagged answer holds the fill, in the check-in definition's words."""
    try:
        definition = check_in_for(pharmacy.check_in_definition if pharmacy else None)
    except ValueError:
        definition = check_in_for(None)
    reasons = []
    for flag in check_in.flags or []:
        try:
            reasons.append(definition.question(flag).flag_reason or key_words(flag))
        except (KeyError, LookupError, ValueError):
            reasons.append(key_words(flag))
    return reasons


def current_summary(
    item: ReviewItem,
    enrollment: Enrollment | None,
    check_in: CheckIn | None,
    pharmacy: Pharmacy | None = None,
) -> str:
    pending = item.status == ReviewStatus.PENDING
    if item.kind == ReviewKind.NEW_ENROLLMENT and enrollment is not None:
        return _enrollment(enrollment, pending, item)
    if item.kind == ReviewKind.FLAGGED_CHECK_IN and check_in is not None:
        reasons = "; ".join(flag_reasons(check_in, pharmacy)) or "an answer needs a look"
        head = f"Check-in for the {day(check_in.anchor_date)} pickup needs review: {reasons}."
        if check_in.status == CheckInStatus.FLAGGED:
            return f"{head} The fill is on hold."
        if check_in.status == CheckInStatus.APPROVED:
            return f"{head} A pharmacist approved it, so the fill goes ahead."
        return head
    return item.summary


def _enrollment(enrollment: Enrollment, pending: bool, item: ReviewItem) -> str:
    status = enrollment.status
    if status == EnrollmentStatus.DECLINED:
        return "The patient declined med sync; there is nothing to approve."
    if status == EnrollmentStatus.DISENROLLED:
        return "The patient has left med sync; there is nothing to approve."
    if enrollment.anchor_day is None:
        return "The patient said yes to med sync and has not chosen a pickup day yet."
    first = day(enrollment.next_anchor_date) if enrollment.next_anchor_date else "not set"
    if status == EnrollmentStatus.ACTIVE:
        return f"Enrolled: pickup day {enrollment.anchor_day}, next pickup {first}."
    if item.status == ReviewStatus.DECLINED:
        return f"Enrollment declined by a pharmacist (pickup day {enrollment.anchor_day})."
    ask = " Please review the sync plan and approve." if pending else ""
    return f"New enrollment: pickup day {enrollment.anchor_day}, first synced pickup {first}.{ask}"
