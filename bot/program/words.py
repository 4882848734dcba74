"""The patient's own words behind each recorded answer (issue 15).

Every answer a check-in or an assessment records keeps the text (or speech) it was read from,
question id -> text, in the same row and the same statement as the answers: the pharmacist
sees "No - wrote: 'no hospital but my doctor added lisinopril'" beside the value.

The dialogs say which words carried which answer (SaveCheckIn.words, SaveAssessment.words).
An answer a turn records without them was still read from the message that turn answered:
it keeps that message's text (a keypad press is not words, and keeps none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.models import Direction, Message


def said_in(message: Message | None) -> str:
    """The text (or speech) of an inbound message; "" for a keypad press or none."""
    if message is None or message.direction != Direction.INBOUND:
        return ""
    body = (message.body or "").strip()
    return "" if body.startswith("[") else body  # "[keypad 2]", "[unclear] ..." are marks


def kept(
    before: Mapping[str, Any] | None,
    brought: Mapping[str, str],
    answers: Mapping[str, Any],
    answered_before: Mapping[str, Any] | None = None,
    said: str = "",
) -> dict[str, str]:
    """The words to store with `answers`: what this turn brought over what was kept before
    (a turn may carry only the question it read); an answer this turn recorded or changed
    without words keeps `said`; nothing for an answer no longer there."""
    merged = {**(before or {})}
    earlier = answered_before or {}
    if said:
        for qid, value in answers.items():
            if qid not in earlier or earlier[qid] != value:
                merged[qid] = said
    merged.update(brought)
    return {qid: str(text) for qid, text in merged.items() if qid in answers and text}
