"""What a phone call says beyond the dialogs' own sentences: how to answer each kind of
question by voice or keypad, the call's menus, and the voice wording of sentences that
speak of texting ("Reply STOP") in the SMS channel.

Keypad conventions, said in the questions: 1 yes, 2 no (dialogs/common.py); a day or a
number is its digits then the pound key; 0 reaches the pharmacy and 9 stops calls and texts
(dialogs/engine.py), except in questions answered with a day, where 9 is the ninth, and in
questions answered with a number, where both are digits (saying "pharmacist" or "stop" works).
Like every patient-facing sentence: no drug names, no conditions.
"""

from __future__ import annotations

from dialogs import prompts
from dialogs.prompts import N_
from dialogs.turn import Ask

# ------------------------------------------------------------------ how to answer a question
YES_NO = N_("Say yes or press 1. Say no or press 2.")
YES_NO_KEYPAD = N_("Press 1 for yes. Press 2 for no.")
DAY = N_("Say a day from 1 to 28, or enter it on the keypad, then press the pound key.")
DAY_OR_SUGGESTED = N_(
    "Say yes for day %(day)s, or say another day from 1 to 28. "
    "Or enter the day on the keypad, then press the pound key."
)
DAY_KEYPAD = N_("Enter a day from 1 to 28 on the keypad, then press the pound key.")
TEXT_OR_NO = N_(
    "Please tell us now. Or press 1, and a pharmacist will call you about it. "
    "If there is nothing, say no or press 2."
)
TEXT_OR_NO_KEYPAD = N_(
    "Press 1, and a pharmacist will call you about it. If there is nothing, press 2."
)
DATE_CONFIRM = N_(
    "Say yes or press 1. Say no or press 2. To move it to another day of the month, "
    "say the day, or enter it on the keypad, then press the pound key."
)
DATE_CONFIRM_KEYPAD = N_(
    "Press 1 for yes. Press 2 for no. To move it to another day of the month, "
    "enter the day, then press the pound key."
)
CHOICE = N_("Say the first name, or use the keypad.")
CHOICE_KEY = N_("For %(name)s, press %(key)s.")
NUMBER = N_("Say the number, or enter it on the keypad, then press the pound key.")
NUMBER_KEYPAD = N_("Enter the number on the keypad, then press the pound key.")
OPTION = N_("Say your answer, or use the keypad.")
OPTION_KEY = N_("To answer %(name)s, press %(key)s.")

# ------------------------------------------------------------------ keys that work at any time
KEYS = N_(
    "At any time, say pharmacist or press 0 to reach the pharmacy. "
    "To stop our calls and texts, say stop or press 9."
)
KEYS_IN_DAY_QUESTION = N_(
    "At any time, say pharmacist or press 0 to reach the pharmacy. "
    "To stop our calls and texts, say stop."
)
KEYS_KEYPAD = N_(
    "At any time, press 0 to reach the pharmacy, or press 9 to stop our calls and texts."
)
KEYS_KEYPAD_IN_DAY_QUESTION = N_("At any time, press 0 to reach the pharmacy.")
# In a question answered with a number, 0 and 9 are digits of the answer.
KEYS_IN_NUMBER_QUESTION = N_(
    "At any time, say pharmacist to reach the pharmacy. To stop our calls and texts, say stop."
)

# ------------------------------------------------------------------ the call's own steps
DIDNT_HEAR = N_("Sorry, I didn't hear an answer.")
OFFER = N_(
    "To talk to someone at the pharmacy, say pharmacist or press 0. "
    "Or stay on the line to leave a message after the tone."
)
OFFER_KEYPAD = N_(
    "To talk to someone at the pharmacy, press 0. "
    "Or stay on the line to leave a message after the tone."
)
MENU = N_(
    "To talk to someone at the pharmacy, say pharmacist or press 0. "
    "To leave a message, press 1. To stop our calls and texts, say stop or press 9. "
    "Or hang up to end the call."
)
MENU_KEYPAD = N_(
    "To talk to someone at the pharmacy, press 0. To leave a message, press 1. "
    "To stop our calls and texts, press 9. Or hang up to end the call."
)
# Said before the menu: the patient's preferences (dialogs/preferences.py) by keypad.
MENU_PREFERENCES = N_(
    "To choose delivery or pickup, calls or texts, and the best time to reach you, press 2."
)
CONNECTING = N_("Connecting you to the pharmacy. Please hold.")
NO_ONE_ANSWERED = N_("Sorry, no one at the pharmacy could take your call right now.")
LEAVE_MESSAGE = N_(
    "Please leave your message after the tone. Press the pound key when you are done."
)
MESSAGE_THANKS = N_(
    "Thank you. A pharmacist will listen to your message and call you back. Goodbye."
)
NO_MESSAGE = N_("We did not get a message. Goodbye.")
GOODBYE = N_("Thank you. Goodbye.")
TOO_LONG = N_("We need to end this call now. A pharmacist will call you back. Goodbye.")
OPTED_OUT = N_(
    "This is %(pharmacy)s. You asked us not to call or text you, so we will not ask you "
    "anything. To get our calls and texts again, say start."
)
# An answering machine hears this and nothing else: no name, no medicine, no reason.
VOICEMAIL = N_(
    "Hello, this is %(pharmacy)s. Please call us back at %(pharmacy_phone)s. "
    "Again, that is %(pharmacy_phone)s. Thank you."
)

# ------------------------------------------------------------------ who is calling
# An inbound call from a patient's number asks for the birth date before anything about the
# patient is said (bot/conversation/calls/verifying.py). The bot never says the birth date.
CONFIRM_BIRTH_DATE = N_(
    "This is %(pharmacy)s. To protect your privacy, please tell us your date of birth first."
)
BIRTH_DATE = N_(
    "Say it like March 4, 1950. Or enter it on the keypad as eight digits: two for the "
    "month, two for the day and four for the year, then press the pound key."
)
BIRTH_DATE_KEYPAD = N_(
    "Enter it on the keypad as eight digits: two for the month, two for the day and four "
    "for the year, then press the pound key."
)
BIRTH_DATE_NOT_MATCHED = N_("Sorry, that date does not match our records.")
CALLER_NOT_CONFIRMED = N_(
    "Sorry, we could not confirm who is calling, so we cannot go on with this call. "
    "Please call the pharmacy at %(pharmacy_phone)s. Goodbye."
)
# A patient with no birth date on file cannot be confirmed: nothing about them is said, and
# the caller is offered the pharmacy or a message.
NOT_ON_FILE = N_(
    "This is %(pharmacy)s. We cannot look up your details on this call, but someone at the "
    "pharmacy can help you."
)

# ------------------------------------------------------------------ said instead of the SMS wording
STOP_CONFIRMED = N_(
    "You will get no more calls or texts from %(pharmacy)s. "
    "If you change your mind, call us and say start. Goodbye."
)
START_CONFIRMED = N_(
    "You will get calls and texts from %(pharmacy)s again. To stop them, say stop at any time."
)
HELP = N_(
    "This is the med sync service of %(pharmacy)s. We call or text you about your refills, "
    "about 3 times a month. For questions, call %(pharmacy_phone)s. "
    "To stop our calls and texts, say stop."
)
# Each catalog names its own language, as in dialogs/prompts.py LANGUAGE_CHANGED.
LANGUAGE_CHANGED = N_("OK, we will speak to you in English.")
POSSIBLE_OPT_OUT = N_(
    "We will pass this on to the pharmacist. To stop all calls and texts from us, say stop."
)
NEXT_PICKUP = N_("Your next pickup is %(date)s.")
ENROLL_DECLINED = N_(
    "No problem, we won't ask again. If you change your mind, call us at %(pharmacy_phone)s."
)
UNKNOWN_NUMBER = N_(
    "This is %(pharmacy)s. We could not find the number you are calling from in our records."
)

# The dialogs' sentences that speak of texting, and what a call says instead.
SAID_INSTEAD: dict[str, str] = {
    prompts.STOP_CONFIRMED: STOP_CONFIRMED,
    prompts.START_CONFIRMED: START_CONFIRMED,
    prompts.HELP: HELP,
    prompts.LANGUAGE_CHANGED: LANGUAGE_CHANGED,
    prompts.PHARMACIST_CALLBACK: CONNECTING,
    prompts.POSSIBLE_OPT_OUT: POSSIBLE_OPT_OUT,
    prompts.NEXT_PICKUP: NEXT_PICKUP,
    prompts.ENROLL_DECLINED: ENROLL_DECLINED,
    prompts.UNKNOWN_NUMBER: UNKNOWN_NUMBER,
    prompts.NOT_TEXT: DIDNT_HEAR,
}


def answer_instruction(ask: Ask, speech: bool) -> str | None:
    """How to answer this question on a call (the choice question says it per name)."""
    match ask.expects:
        case "yes_no":
            return YES_NO if speech else YES_NO_KEYPAD
        case "day":
            if not speech:
                return DAY_KEYPAD
            return DAY_OR_SUGGESTED if "day" in ask.params else DAY
        case "text_or_no":
            return TEXT_OR_NO if speech else TEXT_OR_NO_KEYPAD
        case "date_confirm":
            return DATE_CONFIRM if speech else DATE_CONFIRM_KEYPAD
        case "choice":
            return CHOICE if speech else None
        case "number":
            return NUMBER if speech else NUMBER_KEYPAD
        case "option":
            return OPTION if speech else None
        case "birth_date":
            return BIRTH_DATE if speech else BIRTH_DATE_KEYPAD
    return None


def takes_a_day(ask: Ask) -> bool:
    """Answered with a day of the month: the keypad 9 is then the ninth, not "stop"."""
    return ask.expects in ("day", "date_confirm")


def takes_a_number(ask: Ask) -> bool:
    """Answered with a number (or a birth date): keys until the pound key, and 0 and 9 are
    digits."""
    return ask.expects in ("number", "birth_date")


def keys(ask: Ask, speech: bool) -> str | None:
    """Which keys work at any time; None when the keypad only enters the answer."""
    if takes_a_number(ask):
        return KEYS_IN_NUMBER_QUESTION if speech else None
    if takes_a_day(ask):
        return KEYS_IN_DAY_QUESTION if speech else KEYS_KEYPAD_IN_DAY_QUESTION
    return KEYS if speech else KEYS_KEYPAD
