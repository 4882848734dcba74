"""Check-ins opened in the period: who answered and how fast, what was flagged and why, and
what pharmacists did with the fills that were held."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports.numbers import median_hours, share
from bot.reports.period import Period
from dialogs.assessment_file import check_in_for
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from store.models import (
    CheckIn,
    CheckInStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

# Flags that no question names: the check-in dialog adds this one when it gave up asking.
EXTRA_REASONS = {"unclear_answer": "answer not understood"}


@dataclass(frozen=True)
class FlagReason:
    flag: str  # the question id stored in CheckIn.flags
    label: str  # the staff words for it (the question's flag_reason)
    check_ins: int
    share_of_flagged: float | None  # a check-in can have several reasons


@dataclass(frozen=True)
class WeekRate:
    week: dt.date  # the Monday that starts the week (pharmacy's local dates)
    opened: int
    answered: int
    rate: float | None


@dataclass(frozen=True)
class CheckInFigures:
    opened: int
    answered: int
    no_answer: int  # closed by the scheduler without an answer
    still_open: int
    response_rate: float | None  # answered / opened
    median_hours_to_answer: float | None
    flagged: int  # answered with at least one flag: the fill was held
    flagged_share: float | None  # flagged / answered
    reasons: tuple[FlagReason, ...]
    released: int  # held fills a pharmacist approved
    kept_on_hold: int  # held fills a pharmacist declined
    awaiting_decision: int
    released_share: float | None  # released / flagged
    kept_on_hold_share: float | None
    median_hours_to_decision: float | None  # review item opened -> decided
    weeks: tuple[WeekRate, ...]


def reason_labels(pharmacy: Pharmacy) -> dict[str, str]:
    labels = {q.id: q.flag_reason for q in DEFAULT_CHECK_IN.questions if q.flag_reason}
    own = check_in_for(pharmacy.check_in_definition)
    labels.update({q.id: q.flag_reason for q in own.questions if q.flag_reason})
    return {**labels, **EXTRA_REASONS}


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def check_ins(session: Session, pharmacy: Pharmacy, period: Period) -> CheckInFigures:
    rows = list(
        session.scalars(
            select(CheckIn)
            .join(Patient, Patient.id == CheckIn.patient_id)
            .where(
                Patient.pharmacy_id == pharmacy.id,
                CheckIn.opened_at >= period.start,
                CheckIn.opened_at < period.end,
            )
            .order_by(CheckIn.id)
        )
    )
    answered = [c for c in rows if c.completed_at is not None]
    flagged = [c for c in answered if c.flags]
    items = _decisions(session, [c.id for c in flagged])
    decided = [i for i in items.values() if i.decided_at is not None]
    released = sum(items[c.id].status == ReviewStatus.APPROVED for c in flagged if c.id in items)
    kept = sum(items[c.id].status == ReviewStatus.DECLINED for c in flagged if c.id in items)
    labels = reason_labels(pharmacy)
    counted: Counter[str] = Counter(f for c in flagged for f in dict.fromkeys(c.flags))
    reasons = tuple(
        FlagReason(flag, labels.get(flag, flag.replace("_", " ")), n, share(n, len(flagged)))
        for flag, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return CheckInFigures(
        opened=len(rows),
        answered=len(answered),
        no_answer=sum(c.status == CheckInStatus.NO_ANSWER for c in rows),
        still_open=sum(c.status == CheckInStatus.OPEN for c in rows),
        response_rate=share(len(answered), len(rows)),
        median_hours_to_answer=median_hours(
            c.completed_at - c.opened_at for c in answered if c.completed_at is not None
        ),
        flagged=len(flagged),
        flagged_share=share(len(flagged), len(answered)),
        reasons=reasons,
        released=released,
        kept_on_hold=kept,
        awaiting_decision=len(flagged) - released - kept,
        released_share=share(released, len(flagged)),
        kept_on_hold_share=share(kept, len(flagged)),
        median_hours_to_decision=median_hours(
            i.decided_at - i.created_at for i in decided if i.decided_at is not None
        ),
        weeks=_weeks(rows, period),
    )


def _decisions(session: Session, check_in_ids: list[int]) -> dict[int, ReviewItem]:
    """The review item of each flagged check-in (the latest, should there be several)."""
    found: dict[int, ReviewItem] = {}
    for start in range(0, len(check_in_ids), 500):
        chunk = check_in_ids[start : start + 500]
        for item in session.scalars(
            select(ReviewItem)
            .where(
                ReviewItem.kind == ReviewKind.FLAGGED_CHECK_IN,
                ReviewItem.check_in_id.in_(chunk),
            )
            .order_by(ReviewItem.id)
        ):
            if item.check_in_id is not None:
                found[item.check_in_id] = item
    return found


def _weeks(rows: list[CheckIn], period: Period) -> tuple[WeekRate, ...]:
    opened: Counter[dt.date] = Counter()
    answered: Counter[dt.date] = Counter()
    for c in rows:
        week = week_of(period.local_date(c.opened_at))
        opened[week] += 1
        answered[week] += c.completed_at is not None
    weeks = []
    week = week_of(period.first)
    while week <= period.last:
        weeks.append(
            WeekRate(week, opened[week], answered[week], share(answered[week], opened[week]))
        )
        week += dt.timedelta(days=7)
    return tuple(weeks)
