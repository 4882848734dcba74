"""A turn's replies as the body of one text message, in the patient's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.instructions import SMS_OPT_OUT, sms_instruction
from bot.languages.catalogs import render, sentence_gap
from dialogs.turn import Ask, Reply, Say


def compose(replies: Sequence[Reply], language: str, automated: bool = False) -> str:
    """Questions get their SMS instruction; automated outreach always says how to stop."""
    lines = []
    noticed = False
    gap = sentence_gap(language)
    for reply in replies:
        text = render(reply, language)
        if isinstance(reply, Ask):
            instruction = sms_instruction(reply)
            if instruction:
                text += gap + render(Say(instruction, reply.params), language)
            if reply.opt_out_notice:
                text += gap + render(Say(SMS_OPT_OUT), language)
                noticed = True
        lines.append(text)
    if automated and lines and not noticed:
        lines[-1] += gap + render(Say(SMS_OPT_OUT), language)
    return "\n".join(lines)
