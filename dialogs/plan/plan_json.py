"""A sync plan as JSON-ready data: dates as ISO strings, money as decimal strings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from dialogs.plan.trips import SyncVisit, Trip, TripFill

if TYPE_CHECKING:
    from dialogs.plan.anchor import AnchorRecommendation
    from dialogs.plan.day_plan import PlanLine
    from dialogs.plan.open_days import MovedDate
    from dialogs.plan.timeline import CycleCalendar

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _fills(fills: Sequence[TripFill]) -> list[JsonValue]:
    return [
        {
            "rx_number": f.rx_number,
            "kind": f.kind,
            "days": f.days,
            "units": f.units,
            "needs_override": f.needs_override,
            "cost": _money(f.cost),
        }
        for f in fills
    ]


def line_dict(line: PlanLine) -> dict[str, JsonValue]:
    sf = line.short_fill
    renewal = line.renewal
    return {
        "rx_number": line.rx_number,
        "drug_name": line.drug_name,
        "status": line.status.value,
        "reason": line.reason,
        "due_date": line.due_date.isoformat(),
        "sync_date": _iso(line.sync_date),
        "short_fill": None
        if sf is None
        else {
            "fill_date": sf.fill_date.isoformat(),
            "supply_from": sf.supply_from.isoformat(),
            "days": sf.days,
            "units": sf.units,
            "eligible_on": sf.eligible_on.isoformat(),
            "needs_override": sf.needs_override,
        },
        "short_fill_cost": _money(line.short_fill_cost),
        "cost_basis": line.cost_basis,
        "cost_note": line.cost_note,
        "full_fill_cost": str(line.full_fill_cost),
        "anchors_per_fill": line.anchors_per_fill,
        "next_fills": [{"date": f.fill_date.isoformat(), "days": f.days} for f in line.next_fills],
        "renewal": None
        if renewal is None
        else {
            "request_on": renewal.request_on.isoformat(),
            "expires_on": renewal.expires_on.isoformat(),
            "reason": renewal.reason,
        },
        "notes": list(line.notes),
    }


def recommendation_dict(recommendation: AnchorRecommendation) -> dict[str, JsonValue]:
    return {
        "day": recommendation.day,
        "reason": recommendation.reason,
        "total_short_fill_days": recommendation.total_short_fill_days,
        "trips": recommendation.trips,
        "alternatives": [
            {
                "day": s.day,
                "trips": s.trips,
                "short_fill_days": s.short_fill_days,
                "short_fills_cost": str(s.cost),
            }
            for s in recommendation.alternatives
        ],
    }


def calendar_dict(c: CycleCalendar) -> dict[str, JsonValue]:
    return {
        "check_in": c.check_in.isoformat(),
        "no_answer_reminder": c.no_answer_reminder.isoformat(),
        "call_list": c.call_list.isoformat(),
        "prepare": c.prepare.isoformat(),
        "pickup_reminder": c.pickup_reminder.isoformat(),
    }


def moved_list(moved: Sequence[MovedDate]) -> list[JsonValue]:
    return [
        {"planned": m.planned.isoformat(), "actual": m.actual.isoformat(), "because": m.because}
        for m in moved
    ]


def trips_list(trips: Sequence[Trip]) -> list[JsonValue]:
    return [
        {
            "date": t.date.isoformat(),
            "on_anchor": t.on_anchor,
            "needs_override": t.needs_override,
            "cost": str(t.cost),
            "fills": _fills(t.fills),
        }
        for t in trips
    ]


def visit_dict(visit: SyncVisit | None) -> JsonValue:
    if visit is None:
        return None
    return {
        "date": visit.date.isoformat(),
        "adopted": visit.adopted,
        "overrides": list(visit.overrides),
        "fills": _fills(visit.fills),
    }
