"""Handing the caller to a person: the offer of the pharmacist, the transfer (a <Dial> to the
pharmacy), and a message after the tone when no one answers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels import voice_instructions as said
from bot.channels.voice import CallForm
from bot.channels.voice_twiml import (
    HangUp,
    Listen,
    TakeMessage,
    Transfer,
    sentences,
)
from bot.conversation.calls.leg import Leg, emit, mark, params, speaker_of, url
from dialogs import prompts
from dialogs.turn import Reply, Say
from store.calls import CallMode
from store.models import Direction, Message

CONNECTED = frozenset({"completed", "answered"})


def offer(leg: Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
    offer = said.OFFER if speaker_of(leg).speech else said.OFFER_KEYPAD
    then = Listen(url(leg, "answer"))
    return emit(leg, [*replies, Say(offer)], then, CallMode.OFFER, inbound)


def transfer(leg: Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
    said_already = any(r.msgid == prompts.PHARMACIST_CALLBACK for r in replies)
    lines = list(replies) if said_already else [*replies, Say(said.CONNECTING)]
    then = Transfer(leg.pharmacy.phone, url(leg, "answer"), timeout=leg.settings.dial_timeout)
    return emit(leg, lines, then, CallMode.DIAL, inbound)


def take_message(leg: Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
    speaker = speaker_of(leg)
    after = tuple(sentences([Say(said.NO_MESSAGE)], speaker, params(leg)))
    then = TakeMessage(
        url(leg, "answer"),
        url(leg, "recording", step=False),
        max_length=leg.settings.message_max_seconds,
        after=after,
    )
    return emit(leg, [*replies, Say(said.LEAVE_MESSAGE)], then, CallMode.RECORD, inbound)


def on_dialed(leg: Leg, form: CallForm) -> str:
    if form.dial_status.lower() in CONNECTED:
        mark(leg, Direction.OUTBOUND, "[transferred to the pharmacy]")
        return emit(leg, [], HangUp(), CallMode.DONE)
    return take_message(leg, [Say(said.NO_ONE_ANSWERED)], None)
