"""How to answer a question, said the way each channel needs it.

Dialogs ask channel-neutral questions (`Ask.expects`); a text says "Reply YES or NO", a
call says "press 1". The voice channel keeps its own wording beside its renderer.
"""

from __future__ import annotations

from dialogs.prompts import N_
from dialogs.turn import Ask

SMS_YES_NO = N_("Reply YES or NO.")
SMS_DAY = N_("Send a day of the month from 1 to 28.")
SMS_DAY_OR_SUGGESTED = N_("Reply OK for day %(day)s, or send a day from 1 to 28.")
SMS_TEXT_OR_NO = N_("Type it here, or reply NO.")
SMS_DATE_CONFIRM = N_("Reply YES, or send another day of the month.")
SMS_CHOICE = N_("Reply with a first name.")
SMS_NUMBER = N_("Reply with a number.")
SMS_OPTION = N_("Reply %(options)s.")
SMS_OPT_OUT = N_("Reply STOP to opt out.")


def sms_instruction(ask: Ask) -> str | None:
    match ask.expects:
        case "yes_no":
            return SMS_YES_NO
        case "day":
            return SMS_DAY_OR_SUGGESTED if "day" in ask.params else SMS_DAY
        case "text_or_no":
            return SMS_TEXT_OR_NO
        case "date_confirm":
            return SMS_DATE_CONFIRM
        case "choice":
            return SMS_CHOICE
        case "number":
            return SMS_NUMBER
        case "option":
            return SMS_OPTION
    return None
