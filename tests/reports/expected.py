"""Each report figure worked out from the generated program's own data (tests/reports/
program.py), by the definitions in docs/REPORTS.md, without calling the report code."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from zoneinfo import ZoneInfo

from store.models import CheckInStatus, MessageStatus, ReviewStatus
from tests.reports.program import ACE, FIRST, LAST, STATIN, ZONE, PatientSpec, at

START = at(FIRST, 0)
END = at(LAST + dt.timedelta(days=1), 0)


def inside(when: dt.datetime | None) -> bool:
    return when is not None and START <= when < END


def funnel(patients: list[PatientSpec]) -> dict[str, set[str]]:
    approved = {p.external_id for p in patients if inside(p.approved_at)}
    anchored = approved | {p.external_id for p in patients if inside(p.anchor_at)}
    consented = anchored | {p.external_id for p in patients if inside(p.consented_at)}
    invited = consented | {p.external_id for p in patients if inside(p.invited_at)}
    eligible = invited | {p.external_id for p in patients if p.eligible}
    return {
        "eligible": eligible,
        "invited": invited,
        "consented": consented,
        "anchor chosen": anchored,
        "approved": approved,
    }


def check_ins(patients: list[PatientSpec]) -> dict[str, object]:
    rows = [c for p in patients for c in p.check_ins if inside(c.opened_at)]
    answered = [c for c in rows if c.answered_at is not None]
    flagged = [c for c in answered if c.flags]
    decided = [c for c in flagged if c.decided_at is not None]
    hours = [
        (c.answered_at - c.opened_at).total_seconds() / 3600 for c in answered if c.answered_at
    ]
    waits = [
        (c.decided_at - c.item_created_at).total_seconds() / 3600
        for c in decided
        if c.decided_at and c.item_created_at
    ]
    reasons: Counter[str] = Counter(f for c in flagged for f in c.flags)
    weeks_opened: Counter[dt.date] = Counter()
    weeks_answered: Counter[dt.date] = Counter()
    for c in rows:
        day = c.opened_at.astimezone(ZoneInfo(ZONE)).date()
        monday = day - dt.timedelta(days=day.weekday())
        weeks_opened[monday] += 1
        weeks_answered[monday] += c.answered_at is not None
    return {
        "opened": len(rows),
        "answered": len(answered),
        "no_answer": sum(c.status == CheckInStatus.NO_ANSWER for c in rows),
        "still_open": sum(c.status == CheckInStatus.OPEN for c in rows),
        "median_hours": statistics.median(hours),
        "flagged": len(flagged),
        "released": sum(c.decision == ReviewStatus.APPROVED for c in flagged),
        "kept": sum(c.decision == ReviewStatus.DECLINED for c in flagged),
        "waiting": sum(c.decision == ReviewStatus.PENDING for c in flagged),
        "median_decision_hours": statistics.median(waits),
        "reasons": dict(reasons),
        "weeks_opened": weeks_opened,
        "weeks_answered": weeks_answered,
    }


SENT = {
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
}


def messaging(patients: list[PatientSpec]) -> dict[str, dict[str, Counter[str]]]:
    """{"language": {"es": Counter(texts=.., sent=..)}, "campaign": {...}, "all": {"all": ...}}"""
    out: dict[str, dict[str, Counter[str]]] = {"language": {}, "campaign": {}, "all": {}}

    def bump(language: str, campaign: str, mark: str) -> None:
        for kind, key in (("language", language), ("campaign", campaign), ("all", "all")):
            out[kind].setdefault(key, Counter())[mark] += 1

    for p in patients:
        for t in p.texts:
            if not inside(t.created_at):
                continue
            language, campaign = t.language or p.language, t.campaign or "(not a campaign)"
            bump(language, campaign, "texts")
            if t.status in SENT:
                bump(language, campaign, "sent")
            if t.status == MessageStatus.DELIVERED:
                bump(language, campaign, "delivered")
            if t.status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
                bump(language, campaign, "failed")
            if t.status == MessageStatus.SUPPRESSED:
                bump(language, campaign, "not sent")
            if t.status == MessageStatus.QUEUED:
                bump(language, campaign, "waiting")
        if inside(p.opted_out_at):
            assert p.opted_out_at is not None
            by_campaign = (
                p.campaign
                if p.invited_at is not None
                and p.invited_at <= p.opted_out_at < p.invited_at + dt.timedelta(days=30)
                else "(not a campaign)"
            )
            bump(p.language, by_campaign or "(not a campaign)", "opted out")
    return out


def pdc(fills: list[tuple[dt.date, int]], lo: dt.date, hi: dt.date) -> float | None:
    """Proportion of days covered for one drug whose supplies never overlap."""
    if hi < lo:
        return None
    inside_fills = sorted(f for f in fills if lo <= f[0] <= hi)
    if len({d for d, _ in inside_fills}) < 2:
        return None
    index = inside_fills[0][0]
    if (hi - index).days < 91:
        return None
    covered = {
        d + dt.timedelta(days=k)
        for d, n in inside_fills
        for k in range(n)
        if d + dt.timedelta(days=k) <= hi
    }
    return 100 * len(covered) / ((hi - index).days + 1)


CLASSES = {STATIN: "statins", ACE: "ras_antagonists"}


def adherence(patients: list[PatientSpec]) -> list[tuple[str, str, float | None, float | None]]:
    """(patient, class, before, after) by bot/adherence.py's definitions."""
    rows = []
    for p in patients:
        for drug, fills in p.fills.items():
            if not any(FIRST <= d <= LAST for d, _ in fills):
                continue
            enrolled = p.enrolled_on
            if enrolled is None or enrolled > LAST:
                before, after = pdc(fills, FIRST, LAST), None
            else:
                before = pdc(fills, FIRST, enrolled - dt.timedelta(days=1))
                after = pdc(fills, max(FIRST, enrolled), LAST)
            rows.append((p.external_id, CLASSES[drug], before, after))
    return rows


def bucket(value: float) -> str:
    for name, below in (("0-49", 50), ("50-59", 60), ("60-69", 70), ("70-79", 80), ("80-89", 90)):
        if value < below:
            return name
    return "90-100"
