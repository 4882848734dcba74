"""An item's sentence for staff, worked out from the records as they are now (issue 18): the
summary stored when the item opened goes stale once the pickup day moves or the patient
declines, so the pages and the queue rows read it from here."""

from __future__ import annotations

from bot.inbox.display import day, key_words
from bot.program.open_days import open_days_of, pickup_on
from dialogs.assessment_file import check_in_for
from dialogs.plan.model import PlanError
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
        return _enrollment(enrollment, pending, item, pharmacy)
    if item.kind == ReviewKind.FLAGGED_CHECK_IN and check_in is not None:
        reasons = "; ".join(flag_reasons(check_in, pharmacy)) or "an answer needs a look"
        head = f"Check-in for the {day(check_in.anchor_date)} pickup needs review: {reasons}."
        if check_in.status == CheckInStatus.FLAGGED:
            return f"{head} The fill is on hold."
        if check_in.status == CheckInStatus.APPROVED:
            return f"{head} A pharmacist approved it, so the fill goes ahead."
        return head
    return item.summary


def _pickup_words(enrollment: Enrollment, pharmacy: Pharmacy | None) -> str:
    """The day the patient comes, and the anchor it was moved from when the pharmacy is closed."""
    anchor = enrollment.next_anchor_date
    if anchor is None:
        return "not set"
    if pharmacy is None:
        return day(anchor)
    try:
        pickup = pickup_on(open_days_of(pharmacy), anchor)
    except PlanError:
        return day(anchor)
    return day(pickup.actual) + (
        f" (moved from {day(anchor)}: closed, {pickup.because})" if pickup.moved else ""
    )


def _enrollment(
    enrollment: Enrollment, pending: bool, item: ReviewItem, pharmacy: Pharmacy | None = None
) -> str:
    status = enrollment.status
    if status == EnrollmentStatus.DECLINED:
        return "The patient declined med sync; there is nothing to approve."
    if status == EnrollmentStatus.DISENROLLED:
        return "The patient has left med sync; there is nothing to approve."
    if enrollment.anchor_day is None:
        return "The patient said yes to med sync and has not chosen a pickup day yet."
    first = _pickup_words(enrollment, pharmacy)
    if status == EnrollmentStatus.ACTIVE:
        return f"Enrolled: pickup day {enrollment.anchor_day}, next pickup {first}."
    if item.status == ReviewStatus.DECLINED:
        return f"Enrollment declined by a pharmacist (pickup day {enrollment.anchor_day})."
    ask = " Please review the sync plan and approve." if pending else ""
    return f"New enrollment: pickup day {enrollment.anchor_day}, first synced pickup {first}.{ask}"
