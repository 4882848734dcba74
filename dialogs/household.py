"""The household offer on a shared phone: when a second person there comes to choose a
pickup day and someone else on the phone already has one, ask whether they would like to
pick up together. Yes is recorded as that patient's consent (the runtime links them); then
the day question suggests the household's day. Runs as the first step of `anchor`."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from dialogs import prompts, who
from dialogs.common import read_yes_no, written
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, ConsentKind, Event, RecordConsent, Reply, Say, Turn

STEP = "household"
DAY = "household_day"  # the household's day, carried in the anchor dialog's data
_CHOSEN = ("pending_review", "active")


class Then(Protocol):
    def __call__(self, state: State, ctx: Context, patient: PatientFacts) -> Turn: ...


def partners(ctx: Context, patient: PatientFacts) -> list[PatientFacts]:
    """Others on this phone who already have a pickup day and could share it."""
    return [
        p
        for p in ctx.patients
        if p.id != patient.id
        and not p.opted_out
        and p.enrollment in _CHOSEN
        and p.anchor_day is not None
    ]


def offer_due(ctx: Context, patient: PatientFacts) -> bool:
    if patient.household is not None or patient.household_asked:
        return False
    return bool(partners(ctx, patient))


def _offer(ctx: Context, patient: PatientFacts) -> Ask:
    others = {p.id for p in partners(ctx, patient)}
    everyone = tuple(who.label(p, ctx) for p in ctx.patients if p.id in others | {patient.id})
    return Ask(prompts.HOUSEHOLD_OFFER, {"everyone": everyone}, expects="yes_no")


def start(state: State, ctx: Context, patient: PatientFacts) -> Turn:
    asked = State(dialog="anchor", step=STEP, subject=patient.id)
    return Turn(state=asked, replies=(_offer(ctx, patient),))


def prompt(ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    return (_offer(ctx, patient),)


def shared_day(ctx: Context, patient: PatientFacts) -> int | None:
    """The day the others pick up: a member of a household first, then the first on the phone."""
    found = sorted(partners(ctx, patient), key=lambda p: p.household is None)
    return found[0].anchor_day if found else None


def with_day(state: State, patient: PatientFacts) -> PatientFacts:
    """The patient as the day question sees them: suggesting the household's day, if chosen."""
    day = state.data.get(DAY)
    if isinstance(day, int):
        return replace(patient, proposed_anchor_day=day, household_asked=True)
    return patient


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts, then: Then) -> Turn:
    said = read_yes_no(event, ctx)
    asked = replace(patient, household_asked=True)
    if said is None and state.retries == 0:
        retry = replace(state, retries=1)
        return Turn(state=retry, replies=(Say(prompts.JUST_TO_BE_SURE), _offer(ctx, patient)))
    if said is None:
        return then(state.idle(), ctx, asked)  # not essential: on to the day, ask again later
    wording = written(event) or ("keypad 1 (yes)" if said else "keypad 2 (no)")
    kind: ConsentKind = "household_joined" if said else "household_declined"
    consent = RecordConsent(patient.id, kind, wording, prompts.HOUSEHOLD_OFFER)
    day = shared_day(ctx, patient) if said else None
    if day is None:
        turn = then(state.idle(), ctx, asked)
        return replace(turn, effects=(consent, *turn.effects))
    together = then(state.idle(), ctx, replace(asked, proposed_anchor_day=day))
    question = Ask(prompts.HOUSEHOLD_DAY_ASK, {"day": day}, expects="day")
    data = {**together.state.data, DAY: day}
    replies = tuple(
        question if isinstance(r, Ask) and r.expects == "day" else r for r in together.replies
    )
    return Turn(
        state=replace(together.state, data=data),
        replies=replies,
        effects=(consent, *together.effects),
    )
