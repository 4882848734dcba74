"""The dialog engine: step(state, event, context) -> Turn(state, replies, effects).

Pure: no database, no clock, no I/O. Global intents come first (opt-out, opt-in, help,
language, a pharmacist), then the dialog that is waiting for an answer, if any.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import ModuleType

from dialogs import (
    anchor,
    caregiver,
    check_in,
    enrollment,
    preferences,
    preferred_language,
    prompts,
    services,
    standalone,
    who,
)
from dialogs.common import base_params
from dialogs.context import Context, PatientFacts
from dialogs.parse import (
    asks_for_pharmacist,
    is_acknowledgement,
    is_keyword,
    is_opt_out,
    language_choice,
    sounds_like_revocation,
)
from dialogs.state import State, load
from dialogs.turn import (
    Ask,
    Digits,
    Event,
    OpenReviewItem,
    RecordConsent,
    Reply,
    Say,
    SetCaregiverPhone,
    SetLanguage,
    Start,
    Text,
    Timeout,
    ToStaffThread,
    Turn,
)

DIALOGS: dict[str, ModuleType] = {
    enrollment.NAME: enrollment,
    anchor.NAME: anchor,
    check_in.NAME: check_in,
    preferred_language.NAME: preferred_language,
    caregiver.NAME: caregiver,
    preferences.NAME: preferences,
    standalone.NAME: standalone,
    services.NAME: services,
}


# Who else on this phone is waiting for their turn, in order (JSON in the state's data):
# {"patient_id", "start", "anchor_date"} for a check-in that could not open while another
# was going on, {"patient_id", "start": "assessment", "assessment", "sending"} for a
# standalone assessment sent while another dialog waited, {"patient_id", "resume": state}
# for a dialog left by switching person (or an assessment that made way for a check-in).
QUEUE = "waiting"


def step(state: State, event: Event, ctx: Context) -> Turn:
    queue = list(state.data.get(QUEUE, ()))
    turn = _step(state, event, ctx)
    queue = list(turn.state.data.get(QUEUE, queue))
    stopped = any(isinstance(e, RecordConsent) and e.kind == "opt_out" for e in turn.effects)
    stopped = stopped or any(isinstance(e, SetCaregiverPhone) and e.opted_out for e in turn.effects)
    if stopped:
        ended = standalone.stopped(state, queue)
        turn = replace(turn, effects=(*turn.effects, *ended))
        queue = []
    # One conversation goes through each person on the phone: when one is done, the next
    # (not when the patient has just asked to talk about someone else).
    done = turn.state.subject == state.subject
    while done and turn.state.dialog is None and queue:
        following = _resume(queue.pop(0), ctx)
        turn = Turn(
            state=following.state,
            replies=(*turn.replies, *following.replies),
            effects=(*turn.effects, *following.effects),
        )
    data = {k: v for k, v in turn.state.data.items() if k != QUEUE}
    if queue:
        data[QUEUE] = queue
    return replace(turn, state=replace(turn.state, data=data))


def _resume(entry: dict[str, object], ctx: Context) -> Turn:
    if "resume" in entry:
        left = entry["resume"]
        assert isinstance(left, dict)
        resumed = load(left)
        patient = ctx.patient(resumed.subject)
        if patient is None or patient.opted_out:
            return Turn(state=State())  # nothing may be asked of them any more
        return _nudge(resumed, ctx)
    if entry.get("start") == standalone.NAME:
        return _start(State(), Start(standalone.NAME, dict(entry)), ctx)
    anchor_date = dt.date.fromisoformat(str(entry["anchor_date"]))
    params = {"patient_id": entry["patient_id"], "anchor_date": anchor_date}
    return _start(State(), Start(str(entry["start"]), params), ctx)


def _step(state: State, event: Event, ctx: Context) -> Turn:
    if isinstance(event, Start):
        return _start(state, event, ctx)
    if isinstance(event, Timeout):
        return _nudge(state, ctx)
    text = event.body if isinstance(event, Text) else None
    if ctx.phone_opted_out and not caregiver.own(ctx):
        return caregiver.while_stopped(state, text, ctx)  # a caregiver's phone after STOP
    if not ctx.patients:
        if text is not None and text.strip() and _in_staff_thread(event, ctx):
            return _to_staff_thread(state, ctx)  # staff replied to this unknown number
        return _unknown_number(state, ctx)
    if any(p.opted_out for p in ctx.patients):
        return _while_opted_out(state, text, ctx)
    anyone = ctx.patient(state.subject) or ctx.patients[0]
    if text is not None and text.strip() == "":
        return Turn(state=state, replies=(Say(prompts.NOT_TEXT), *_prompt(state, ctx)))
    if text is not None:
        intent = _global_intent(state, text, ctx, anyone)
        if intent is not None:
            return intent
        if state.dialog is None and _in_staff_thread(event, ctx):
            return _to_staff_thread(state, ctx)
    if isinstance(event, Digits):
        intent = _keypad_intent(state, event, ctx, anyone)
        if intent is not None:
            return intent
    patient = ctx.patient(state.subject)
    if patient is None and len(ctx.patients) == 1:
        patient = ctx.patients[0]
        state = replace(state, subject=patient.id)
    if state.dialog == who.NAME or patient is None:
        if state.dialog != who.NAME:
            return who.start(state, ctx)
        state, retry = who.answer(state, event, ctx, anyone)
        if retry is not None:
            return retry
        patient = ctx.patient(state.subject)
        assert patient is not None
        return _idle(state, None, ctx, patient)
    if state.dialog == preferred_language.NAME:
        return preferred_language.answer(state, event, ctx, patient, then=_after_language)
    dialog = DIALOGS.get(state.dialog or "")
    if dialog is None:
        return _idle(state, text, ctx, patient)
    turn: Turn = dialog.answer(state, event, ctx, patient)
    return turn


def _start(state: State, event: Start, ctx: Context) -> Turn:
    patient = ctx.patient(int(event.params["patient_id"]))
    if patient is None or patient.opted_out:
        return Turn(state=state)  # nothing may be sent; the runtime reports why
    if event.dialog == standalone.NAME:
        if state.dialog is not None:
            return _assessment_waits(state, event, patient)
    elif state.dialog == standalone.NAME:
        made_way = _assessment_makes_way(state)
        turn = _start(made_way, event, ctx)
        queue = [*made_way.data[QUEUE], *turn.state.data.get(QUEUE, ())]
        return replace(turn, state=replace(turn.state, data={**turn.state.data, QUEUE: queue}))
    busy = state.dialog == check_in.NAME and state.subject not in (None, patient.id)
    if busy and event.dialog == check_in.NAME:
        return _wait_for_turn(state, event, patient)
    state = replace(state, subject=patient.id)
    if preferred_language.needed(ctx, patient):
        return preferred_language.start(state, ctx, patient, then=event)
    if event.dialog == check_in.NAME:
        anchor_date = event.params["anchor_date"]
        assert isinstance(anchor_date, dt.date)
        return check_in.start(state, ctx, patient, anchor_date)
    if event.dialog == enrollment.NAME:
        return enrollment.start(state, ctx, patient)
    if event.dialog == standalone.NAME:
        return standalone.start(state, ctx, patient, event.params)
    if event.dialog == preferences.NAME:
        return _preferences_menu(state, ctx, patient)
    raise ValueError(f"no dialog named {event.dialog!r} can be started")


def _wait_for_turn(state: State, event: Start, patient: PatientFacts) -> Turn:
    """Someone else on this phone is in a check-in: this one opens when theirs is done."""
    queue = list(state.data.get(QUEUE, ()))
    if not any(e.get("patient_id") == patient.id and "start" in e for e in queue):
        anchor_date = event.params["anchor_date"]
        assert isinstance(anchor_date, dt.date)
        when = anchor_date.isoformat()
        queue.append({"patient_id": patient.id, "start": event.dialog, "anchor_date": when})
    return Turn(state=replace(state, data={**state.data, QUEUE: queue}))


def _assessment_waits(state: State, event: Start, patient: PatientFacts) -> Turn:
    """An assessment never interrupts: it starts when what the phone is in now is done."""
    queue = list(state.data.get(QUEUE, ()))
    p = event.params
    running = state.dialog == standalone.NAME and state.data.get("sending") == p["sending"]
    if running or standalone.queued(queue, str(p["sending"]), patient.id):
        return Turn(state=state)
    queue.append(standalone.queue_entry(p))
    return Turn(
        state=replace(state, data={**state.data, QUEUE: queue}),
        effects=(standalone.waiting(patient.id, str(p["assessment"]), str(p["sending"])),),
    )


def _assessment_makes_way(state: State) -> State:
    """A check-in or an invitation goes first; the assessment resumes after it."""
    left = replace(state, data={k: v for k, v in state.data.items() if k != QUEUE})
    queue = [{"patient_id": state.subject, "resume": left.to_json()}]
    queue += list(state.data.get(QUEUE, ()))
    return State(subject=state.subject, data={QUEUE: queue})


def _switch(state: State, ctx: Context, other: PatientFacts) -> Turn:
    """ "This is about Linda now": what was asked of the other person waits for later."""
    queue = list(state.data.get(QUEUE, ()))
    # Preference questions are optional: switching person leaves them, it does not queue them.
    optional = state.dialog == preferences.NAME
    if state.dialog in DIALOGS and state.subject is not None and not optional:
        left = replace(state, data={k: v for k, v in state.data.items() if k != QUEUE})
        queue.append({"patient_id": state.subject, "resume": left.to_json()})
    theirs = next((e for e in queue if e.get("patient_id") == other.id), None)
    if theirs is not None:
        queue.remove(theirs)
        turn = _resume(theirs, ctx)
    else:
        turn = _idle(State(subject=other.id), None, ctx, other)
    return replace(turn, state=replace(turn.state, data={**turn.state.data, QUEUE: queue}))


def _nudge(state: State, ctx: Context) -> Turn:
    """No answer for a while: remind the patient of the question that is still open."""
    patient = ctx.patient(state.subject)
    if patient is None or patient.opted_out or state.dialog not in DIALOGS:
        return Turn(state=state)
    if state.dialog == preferences.NAME:
        return Turn(state=state.idle())  # optional questions are not chased: left unanswered
    if state.dialog == check_in.NAME:
        date = ctx.pickup_on(dt.date.fromisoformat(str(state.data["anchor_date"])))
        opener = Say(prompts.CHECK_IN_REMINDER, {**base_params(ctx, patient), "date": date})
    else:
        opener = Say(prompts.STILL_WAITING, base_params(ctx, patient))
    return Turn(state=state, replies=(opener, *_prompt(state, ctx)))


def _unknown_number(state: State, ctx: Context) -> Turn:
    return Turn(
        state=state,
        replies=(
            Say(
                prompts.UNKNOWN_NUMBER,
                {"pharmacy": ctx.pharmacy_name, "pharmacy_phone": ctx.pharmacy_phone},
            ),
        ),
        effects=(
            OpenReviewItem(
                kind="unknown_sender",
                summary="A phone number we do not know sent a message. "
                "It was told to call the pharmacy.",
            ),
        ),
    )


def _while_opted_out(state: State, text: str | None, ctx: Context) -> Turn:
    """After STOP the bot says nothing at all, until START, UNSTOP or YES."""
    if text is not None and is_keyword(text, ctx.vocab.opt_in):
        return Turn(
            state=state,
            replies=(Say(prompts.START_CONFIRMED, {"pharmacy": ctx.pharmacy_name}),),
            effects=tuple(
                RecordConsent(p.id, "opt_in", text.strip(), None)
                for p in ctx.patients
                if p.opted_out
            ),
        )
    if text is None or is_opt_out(text, ctx.vocab):
        return Turn(state=state)  # one confirmation was sent already
    subject = ctx.patient(state.subject) or ctx.patients[0]
    return Turn(
        state=state,
        effects=(
            OpenReviewItem(
                kind="message",
                patient_id=subject.id,
                summary="A patient who opted out of texts sent a message. "
                "No automatic reply was sent.",
            ),
        ),
    )


def _global_intent(state: State, text: str, ctx: Context, anyone: PatientFacts) -> Turn | None:
    vocab = ctx.vocab
    if is_opt_out(text, vocab):
        return _opt_out(state, ctx, text.strip())
    caregivers = caregiver.intent(state, text, ctx)
    if caregivers is not None:
        return caregivers
    if is_keyword(text, vocab.opt_in - vocab.yes):
        return Turn(
            state=state, replies=(Say(prompts.START_CONFIRMED, {"pharmacy": ctx.pharmacy_name}),)
        )
    if is_keyword(text, vocab.help):
        help_text = Say(prompts.HELP, base_params(ctx, anyone))
        return Turn(state=state, replies=(help_text, *_prompt(state, ctx)))
    language = language_choice(text, vocab)
    if language is not None and state.dialog != preferred_language.NAME:
        who_changes = [ctx.patient(state.subject)] if state.subject else list(ctx.patients)
        return Turn(
            state=state,
            replies=(Say(prompts.LANGUAGE_CHANGED), *_prompt(state, ctx)),
            effects=tuple(SetLanguage(p.id, language) for p in who_changes if p is not None),
        )
    wanted = _preference_intent(state, text, ctx)  # before "call me": "call me instead"
    if wanted is not None:
        return wanted
    # "call me" to "calls instead of texts?" is the answer, not a request for a pharmacist.
    if asks_for_pharmacist(text, vocab) and not preferences.answers_with_calls(state, text, ctx):
        return _pharmacist(state, ctx, anyone)
    other = who.switch(text, ctx, state.subject) if state.subject is not None else None
    if other is not None:
        return _switch(state, ctx, other)
    if sounds_like_revocation(text, vocab):
        return Turn(
            state=state,
            replies=(Say(prompts.POSSIBLE_OPT_OUT),),
            effects=(
                OpenReviewItem(
                    kind="possible_opt_out",
                    patient_id=anyone.id,
                    flagged=True,
                    summary="The patient's message may mean they want no more messages. "
                    "Please read it and opt them out if so.",
                ),
            ),
        )
    return None


# On a call's keypad, in every question: 9 stops calls and texts, 0 asks for a pharmacist.
# A question answered with a day takes 9 as the ninth (0 is never a day); one answered with a
# number takes both as digits ("0" missed doses), and the patient says "pharmacist" or "stop".
KEY_STOP = "9"
KEY_PHARMACIST = "0"


def _keypad_intent(state: State, event: Digits, ctx: Context, anyone: PatientFacts) -> Turn | None:
    key = event.digits.strip("#*")
    asked = _prompt(state, ctx)
    if any(isinstance(r, Ask) and r.expects == "number" for r in asked):
        return None  # a number's keys are its digits: 0 and 9 are answers there
    if key == KEY_PHARMACIST:
        return _pharmacist(state, ctx, anyone)
    takes_a_day = any(isinstance(r, Ask) and r.expects in ("day", "date_confirm") for r in asked)
    if key == KEY_STOP and not takes_a_day and state.dialog != preferred_language.NAME:
        return _opt_out(state, ctx, f"keypad {KEY_STOP} (stop)")
    return None


def _opt_out(state: State, ctx: Context, wording: str) -> Turn:
    return Turn(
        state=state.idle(),
        replies=(Say(prompts.STOP_CONFIRMED, {"pharmacy": ctx.pharmacy_name}),),
        effects=(
            *(RecordConsent(p.id, "opt_out", wording, None) for p in caregiver.own(ctx)),
            *caregiver.stopped(ctx, wording),  # a caregiver's STOP does not opt the patient out
        ),
    )


def _pharmacist(state: State, ctx: Context, anyone: PatientFacts) -> Turn:
    return Turn(
        state=state,
        replies=(
            Say(prompts.PHARMACIST_CALLBACK, base_params(ctx, anyone)),
            *_prompt(state, ctx),
        ),
        effects=(
            OpenReviewItem(
                kind="call_back",
                patient_id=anyone.id,
                summary="The patient asked to talk to a pharmacist. Please call them back.",
            ),
        ),
    )


def _prompt(state: State, ctx: Context) -> tuple[Reply, ...]:
    """The question the patient still owes an answer to, asked again."""
    if state.dialog == who.NAME:
        return who.prompt(state, ctx, None)
    dialog = DIALOGS.get(state.dialog or "")
    patient = ctx.patient(state.subject)
    if dialog is None or patient is None:
        return ()
    replies: tuple[Reply, ...] = dialog.prompt(state, ctx, patient)
    return replies


def _idle(state: State, text: str | None, ctx: Context, patient: PatientFacts) -> Turn:
    """A message when no question is waiting: move the patient along, or pass it on."""
    if preferred_language.needed(ctx, patient):
        # The patient's language comes first; a note for staff need not wait for it.
        later = _idle(state, text, ctx, replace(patient, language_confirmed=True))
        return preferred_language.start(state, ctx, patient, notes=later.effects)
    if patient.enrollment in (None, "declined", "disenrolled"):
        if patient.eligible:
            return enrollment.start(state, ctx, patient)
        return _pass_on(state, patient, "A patient not eligible for med sync sent a message.")
    if patient.enrollment == "consented":
        return anchor.start(state, ctx, patient)
    acknowledgement = text is None or is_acknowledgement(text, ctx.vocab)
    if patient.enrollment == "active" and patient.next_anchor_date is not None:
        when = ctx.pickup_on(patient.next_anchor_date)  # the real day, off closed days
        status: Reply = Say(prompts.NEXT_PICKUP, {"date": when})
    else:
        status = Say(prompts.ENROLLMENT_IN_REVIEW)
    if acknowledgement:
        return Turn(state=state, replies=(status,))
    return _pass_on(state, patient, "The patient sent a message outside any check-in.")


def _after_language(state: State, ctx: Context, patient: PatientFacts) -> Turn:
    """What the language menu interrupted, carried on in the language just chosen."""
    interrupted = preferred_language.pending(state)
    if interrupted is not None:
        return _start(State(subject=patient.id), interrupted, ctx)
    return _idle(State(subject=patient.id), None, ctx, patient)


def _in_staff_thread(event: Event, ctx: Context) -> bool:
    """A written text while a pharmacist's reply is open (a call's speech keeps to the call)."""
    return ctx.staff_thread is not None and isinstance(event, Text) and not event.speech


def _to_staff_thread(state: State, ctx: Context) -> Turn:
    """A pharmacist's reply is open and no question waits: the text is for the pharmacist."""
    assert ctx.staff_thread is not None
    subject = ctx.patient(state.subject) or (ctx.patients[0] if len(ctx.patients) == 1 else None)
    return Turn(
        state=state,
        replies=(Say(prompts.STAFF_WILL_READ),),
        effects=(ToStaffThread(ctx.staff_thread, subject.id if subject else None),),
    )


def _pass_on(state: State, patient: PatientFacts, why: str) -> Turn:
    return Turn(
        state=state,
        replies=(Say(prompts.PASSED_ON),),
        effects=(
            OpenReviewItem(kind="message", patient_id=patient.id, summary=f"{why} Please read it."),
        ),
    )


def _preference_intent(state: State, text: str, ctx: Context) -> Turn | None:
    """ "Settings" asks the preference questions; "deliver please" or "call me instead" changes
    one preference at once, and the open question, if any, is asked again."""
    if state.dialog in (preferences.NAME, preferred_language.NAME, who.NAME):
        return None
    lone = ctx.patients[0] if len(ctx.patients) == 1 else None
    patient = ctx.patient(state.subject) or lone
    said = preferences.direct(text, ctx, patient) if patient is not None else None
    if patient is None or said is None or said[0] == preferences.SKIP:
        return None
    name, value = said
    if name == preferences.MENU:
        return _preferences_menu(state, ctx, patient)
    turn = preferences.change(state, ctx, patient, name, value, text.strip())
    if not turn.replies:
        return None
    return replace(turn, replies=(*turn.replies, *_prompt(state, ctx)))


def _preferences_menu(state: State, ctx: Context, patient: PatientFacts) -> Turn:
    """The preference questions now; a question that was waiting is asked again after them."""
    queue = list(state.data.get(QUEUE, ()))
    if state.dialog in DIALOGS and state.dialog != preferences.NAME and state.subject:
        left = replace(state, data={k: v for k, v in state.data.items() if k != QUEUE})
        queue.insert(0, {"patient_id": state.subject, "resume": left.to_json()})
    turn = preferences.start(State(subject=patient.id), ctx, patient)
    return replace(turn, state=replace(turn.state, data={**turn.state.data, QUEUE: queue}))
