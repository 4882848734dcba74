"""Enrollment consent: the invitation, and YES or NO with the patient's own words."""

from __future__ import annotations

import datetime as dt

from dialogs import anchor, prompts
from dialogs.common import (
    answer_back,
    base_params,
    question_back,
    read_yes_no,
    unclear,
    written,
)
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, Event, RecordConsent, Reply, Say, SetEnrollment, Turn

NAME = "enrollment"


def offer(ctx: Context, patient: PatientFacts) -> Ask:
    return Ask(
        prompts.ENROLL_OFFER, base_params(ctx, patient), expects="yes_no", opt_out_notice=True
    )


def start(state: State, ctx: Context, patient: PatientFacts) -> Turn:
    return Turn(
        state=State(dialog=NAME, step="consent", subject=patient.id),
        replies=(offer(ctx, patient),),
    )


def prompt(state: State, ctx: Context, patient: PatientFacts) -> tuple[Reply, ...]:
    return (offer(ctx, patient),)


def answer(state: State, event: Event, ctx: Context, patient: PatientFacts) -> Turn:
    back = question_back(event, ctx)
    if back is not None:
        meaning = (Say(prompts.MEANING_ENROLL),)
        told = answer_back(back, ctx, patient, meaning, cost=lambda: anchor.cost(ctx, patient))
        return Turn(state=state, replies=(*told, Ask(prompts.ENROLL_REASK)))
    said = read_yes_no(event, ctx)
    if said is None:
        return unclear(
            state, ctx, patient, Ask(prompts.ENROLL_REASK), "joining", wrote=written(event)
        )
    wording = written(event) or _keypad_words(said)
    if said:
        turn = anchor.start(state, ctx, patient)
        return Turn(
            state=turn.state,
            replies=turn.replies,
            effects=(
                RecordConsent(patient.id, "enrollment_accepted", wording, prompts.ENROLL_OFFER),
                SetEnrollment(patient.id, "consented"),
                *turn.effects,
            ),
        )
    return Turn(
        state=state.idle(),
        replies=(Say(prompts.ENROLL_DECLINED, base_params(ctx, patient)),),
        effects=(
            RecordConsent(patient.id, "enrollment_declined", wording, prompts.ENROLL_OFFER),
            SetEnrollment(
                patient.id,
                "declined",
                declined_until=ctx.today + dt.timedelta(days=ctx.decline_quiet_days),
            ),
        ),
    )


def _keypad_words(said: bool) -> str:
    return "keypad 1 (yes)" if said else "keypad 2 (no)"
