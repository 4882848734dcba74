"""Services at pickup: a flu or shingles shot, a blood pressure check, a medication review,
offered once a check-in comes back all clear (the pharmacy's rules say which, and when:
bot/program/services.py). The question rides in the same text as "you're all set"; the answer
is YES or NO. An accepted offer is a review item, so the pharmacy has it ready. The offer names
the service, never a condition."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dialogs import prompts
from dialogs.common import read_yes_no
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import (
    Ask,
    Event,
    OpenReviewItem,
    RecordServiceOffer,
    Reply,
    Say,
    Turn,
)

NAME = "service_offer"
QUESTIONS = {
    "flu_shot": prompts.SERVICE_FLU_SHOT,
    "shingles_shot": prompts.SERVICE_SHINGLES_SHOT,
    "blood_pressure_check": prompts.SERVICE_BLOOD_PRESSURE_CHECK,
    "medication_review": prompts.SERVICE_MEDICATION_REVIEW,
}
# As staff read them on the review item and the worklist.
NAMES = {
    "flu_shot": "a flu shot",
    "shingles_shot": "a shingles vaccine",
    "blood_pressure_check": "a blood pressure check",
    "medication_review": "a medication review with a pharmacist",
}


def _ask(state: State, ctx: Context) -> Ask:
    when = ctx.pickup_on(dt.date.fromisoformat(str(state.data["anchor_date"])))
    return Ask(QUESTIONS[str(state.data["kind"])], {"date": when}, expects="yes_no")


def offer(
    state: State, ctx: Context, patient: PatientFacts, anchor_date: dt.date, before: Turn
) -> Turn:
    """`before` (the check-in's all-clear turn) followed by the patient's due offer, if any."""
    due = patient.service_offer
    if due is None or due[1] not in QUESTIONS:
        return before
    service, kind = due
    asking = State(
        dialog=NAME,
        step="answer",
        subject=patient.id,
        data={"service": service, "kind": kind, "anchor_date": anchor_date.isoformat()},
    )
    return Turn(
        state=asking,
        replies=(*before.replies, _ask(asking, ctx)),
        effects=(
            *before.effects,
            RecordServiceOffer(patient.id, service, anchor_date, "offered"),
        ),
    )


def waiting(patient_id: int, service: str, kind: str, anchor_date: dt.date) -> State:
    """The conversation's state once an offer went out with the pickup reminder."""
    return State(
        dialog=NAME,
        step="answer",
        subject=patient_id,
        data={"service": service, "kind": kind, "anchor_date": anchor_date.isoformat()},
    )


def question(kind: str, pickup: dt.date) -> Ask:
    """The offer as the reminder carries it (`pickup`: the real pickup day)."""
    return Ask(QUESTIONS[kind], {"date": pickup}, expects="yes_no")


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    return (_ask(state, ctx),)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    service, kind = str(state.data["service"]), str(state.data["kind"])
    anchor_date = dt.date.fromisoformat(str(state.data["anchor_date"]))
    said = read_yes_no(event, ctx)
    if said is None:
        if state.retries == 0:
            again = replace(state, retries=1)
            return Turn(state=again, replies=(Say(prompts.DIDNT_UNDERSTAND), _ask(state, ctx)))
        # An offer is optional: no staff call for it, and nothing is assumed.
        return Turn(
            state=state.idle(),
            replies=(Say(prompts.SERVICE_DECLINED),),
            effects=(RecordServiceOffer(patient.id, service, anchor_date, "no_answer"),),
        )
    if not said:
        return Turn(
            state=state.idle(),
            replies=(Say(prompts.SERVICE_DECLINED),),
            effects=(RecordServiceOffer(patient.id, service, anchor_date, "declined"),),
        )
    when = ctx.pickup_on(anchor_date)
    return Turn(
        state=state.idle(),
        replies=(Say(prompts.SERVICE_ACCEPTED),),
        effects=(
            RecordServiceOffer(patient.id, service, anchor_date, "accepted"),
            OpenReviewItem(
                kind="service",
                patient_id=patient.id,
                summary=f"Accepted {NAMES.get(kind, kind)} at the {when:%b %d, %Y} pickup: "
                "please have it ready.",
                details={"service": service, "kind": kind, "anchor_date": anchor_date.isoformat()},
            ),
        ),
    )
