"""Choosing the anchor day: the monthly pickup day, any day from 1 to 28."""

from __future__ import annotations

import datetime as dt

from dialogs import household, preferences, prompts
from dialogs.common import (
    answer_back,
    read_day,
    read_yes_no,
    unclear,
    written,
)
from dialogs.context import Context, PatientFacts, TripPlan
from dialogs.plan.dates import first_anchor_date
from dialogs.state import State
from dialogs.turn import Ask, Event, OpenReviewItem, Param, Reply, Say, SetEnrollment, Turn

NAME = "anchor"
FIRST_DAY, LAST_DAY = 1, 28  # every month has a 28th


def _ask(patient: PatientFacts) -> Ask:
    return Ask(prompts.ANCHOR_ASK, {"day": patient.proposed_anchor_day}, expects="day")


def start(state: State, ctx: Context, patient: PatientFacts) -> Turn:
    if household.offer_due(ctx, patient):
        return household.start(state, ctx, patient)  # pick up with the others on this phone?
    return Turn(state=State(dialog=NAME, step="day", subject=patient.id), replies=(_ask(patient),))


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    if state.step == household.STEP:
        return household.prompt(ctx, patient)
    patient = household.with_day(state, patient)
    return (_ask(patient),)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    if state.step == household.STEP:
        return household.answer(state, event, ctx, patient, then=start)
    patient = household.with_day(state, patient)
    reask = Ask(prompts.ANCHOR_REASK, {"day": patient.proposed_anchor_day}, expects="day")
    said, asked_back = read_day(event, ctx)
    back = asked_back if said is None or said == "around" else None
    if back is not None:
        meaning = (Say(prompts.MEANING_ANCHOR),)
        told = answer_back(back, ctx, patient, meaning, cost=lambda: cost(ctx, patient))
        return Turn(state=state, replies=(*told, _ask(patient)))
    day = said if isinstance(said, int) else None
    if said == "suggested" or (said is None and read_yes_no(event, ctx) is True):
        day = patient.proposed_anchor_day
    if day is None:
        return unclear(state, ctx, patient, reask, "pickup day", wrote=written(event))
    if not FIRST_DAY <= day <= LAST_DAY:
        # A clear answer that cannot be honoured is not "unclear": explain, don't count it.
        return Turn(state=state, replies=(Say(prompts.ANCHOR_OUT_OF_RANGE), reask))
    trips = patient.trip_plans.get(day) or _without_plan(day, ctx)
    pickup = trips.first_synced_pickup
    confirmed = Say(prompts.ANCHOR_CONFIRMED, {"day": day, "date": pickup})
    # Then what getting in sync costs, and the preference questions (once).
    after = preferences.start(state, ctx, patient, at_enrollment=True)
    if not preferences.needed(patient):
        after = Turn(state=state.idle())
    return Turn(
        state=after.state,
        replies=(confirmed, *_visits(trips), *_cost(patient, day, pickup), *after.replies),
        effects=(
            *after.effects,
            SetEnrollment(
                patient.id,
                "pending_review",
                anchor_day=day,
                next_anchor_date=trips.first_synced_anchor,
            ),
            OpenReviewItem(
                kind="new_enrollment",
                patient_id=patient.id,
                summary=f"New enrollment: pickup day {day}, "
                f"first synced pickup {pickup:%b %d, %Y}. {_trips_summary(trips)}"
                "Please review the sync plan and approve.",
                details={
                    "anchor_day": day,
                    "first_pickup": pickup.isoformat(),
                    "first_synced_anchor": trips.first_synced_anchor.isoformat(),
                    "visits": [d.isoformat() for d in trips.visits],
                    "overrides": list(trips.overrides),
                },
            ),
        ),
    )


def cost(ctx: Context, patient: PatientFacts) -> tuple[Say, ...]:
    """ "How much will it cost?" before a day is chosen: the estimate for the suggested day
    (the sync plan is worked out only now, for that day: cost_estimates is lazy)."""
    day = patient.proposed_anchor_day
    first_pickup = (patient.trip_plans.get(day) or _without_plan(day, ctx)).first_synced_pickup
    return _cost(patient, day, first_pickup) or (Say(prompts.COST_GENERAL),)


def _without_plan(day: int, ctx: Context) -> TripPlan:
    """No sync plan for this day (bad data for the pharmacist to fix): the first anchor the
    pharmacy can prepare, on an open day, and no visits promised."""
    anchor = first_anchor_date(day, ctx.today, ctx.preparation_days)
    return TripPlan(anchor, ctx.pickup_on(anchor), (), planned=False)


def _visits(trips: TripPlan) -> tuple[Say, ...]:
    """The trips before the first synced pickup, named truthfully: none, one, or how many."""
    if not trips.visits:
        return ()
    if len(trips.visits) == 1:
        return (Say(prompts.ANCHOR_ONE_VISIT, {"date": trips.visits[0]}),)
    return (Say(prompts.ANCHOR_VISITS, {"count": len(trips.visits), "date": trips.visits[0]}),)


def _trips_summary(trips: TripPlan) -> str:
    if not trips.planned:
        return "No sync plan could be made for this day: check the patient's prescriptions. "
    if not trips.visits:
        shown = "No visit before it. "
    else:
        shown = "Visits before it: " + ", ".join(f"{d:%b} {d.day}" for d in trips.visits) + ". "
    if trips.overrides:
        shown += f"Needs a refill-too-soon override for {', '.join(trips.overrides)}. "
    return shown


def _cost(patient: PatientFacts, day: int, first_pickup: dt.date) -> tuple[Say, ...]:
    """Shorter fills at a prorated copay before the first synced pickup, in plain words."""
    estimate = patient.cost_estimates.get(day)
    if estimate is None:
        return (Say(prompts.COST_GENERAL),)
    if estimate.prorated == estimate.usual:
        return ()  # nothing is shortened: nothing to disclose
    params: dict[str, Param] = {
        "date": first_pickup,
        "prorated": estimate.prorated,
        "usual": estimate.usual,
    }
    return (Say(prompts.COST_ESTIMATE, params),)
