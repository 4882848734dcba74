"""The message left after the tone: kept for staff as a review item with its recording."""

from __future__ import annotations

from bot.channels import voice_instructions as said
from bot.channels.voice import CallForm
from bot.channels.voice_twiml import (
    HangUp,
)
from bot.conversation.call_records import keep_recording
from bot.conversation.calls.leg import Leg, emit
from dialogs.turn import Say
from store.calls import CallMode


def on_recorded(leg: Leg, form: CallForm) -> str:
    seconds = form.recording_duration or 0
    if form.recording_url and seconds > 0:
        keep_recording(
            leg.session, leg.call, form.recording_url, form.recording_sid, seconds, leg.now
        )
        return emit(leg, [Say(said.MESSAGE_THANKS)], HangUp(), CallMode.DONE)
    return emit(leg, [Say(said.NO_MESSAGE)], HangUp(), CallMode.DONE)
