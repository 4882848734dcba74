"""Every sentence MedSync says to a patient, in English, as gettext msgids.

The English text is the msgid (classic gettext: a missing translation falls back to
English, never to an id). Placeholders are %(name)s so Babel's checkers can compare them
across catalogs. Questions are channel-neutral: how to answer ("Reply YES or NO", "press 1")
is added by the channel that asks (bot/channels/instructions.py). Keep automated openers
short (160 characters). Never put a drug name or a condition here: texts are not encrypted.
"""


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract` without translating it."""
    return message


# Shared
DIDNT_UNDERSTAND = N_("Sorry, I didn't understand.")

# Enrollment: the invitation and its answers
ENROLL_OFFER = N_(
    "Hi %(first_name)s, %(pharmacy)s here. Med sync puts all your regular refills on one "
    "pickup day a month. Would you like to join?"
)
ENROLL_REASK = N_("Would you like to join med sync?")
ENROLL_DECLINED = N_(
    "No problem, we won't ask again. If you change your mind, text us or call %(pharmacy_phone)s."
)

# The anchor (pickup) day
ANCHOR_ASK = N_(
    "Thank you! Which day of the month should be your pickup day? We suggest day %(day)s."
)
ANCHOR_REASK = N_("Which day of the month should be your pickup day?")
ANCHOR_OUT_OF_RANGE = N_("Please choose a day from 1 to 28, so it comes every month.")
ANCHOR_CONFIRMED = N_(
    "Your pickup day is day %(day)s of each month. Your first synced pickup is %(date)s. "
    "A pharmacist will check your plan and confirm."
)
ENROLLMENT_APPROVED = N_(
    "Good news, %(first_name)s: a pharmacist at %(pharmacy)s approved your med sync plan. "
    "Your pickup day is day %(day)s of each month, starting %(date)s."
)

# The check-in before each pickup
CHECK_IN_INTRO = N_(
    "Hi %(first_name)s, it's %(pharmacy)s with your check-in before your pickup on %(date)s."
)
Q_HOSPITAL = N_(
    "Since your last pickup, have you stayed in a hospital or gone to an emergency room?"
)
Q_CHANGES = N_("Any new health conditions, new medicines, or changes from your doctor?")
Q_MISSED_DOSES = N_("Have you missed any doses since your last pickup?")
Q_ANYTHING_ELSE = N_("Anything else for the pharmacist?")
Q_STILL_COMING = N_("Will you pick up on %(date)s?")
CHECK_IN_READY = N_("Thank you! Your medicines will be ready for pickup on %(date)s.")
CHECK_IN_FLAGGED = N_(
    "Thank you. A pharmacist will review your answers before we fill your medicines, "
    "and may call you."
)
CHECK_IN_REMINDER = N_(
    "Hi %(first_name)s, %(pharmacy)s still needs a few answers before your pickup on %(date)s."
)
STILL_WAITING = N_("Hi %(first_name)s, %(pharmacy)s is still waiting for your answer.")
PICKUP_REMINDER = N_(
    "Reminder from %(pharmacy)s: your medicines will be ready for pickup on %(date)s."
)

# Shared phones
WHO_ASK = N_(
    "This phone number belongs to more than one of our patients. Who is this about: %(names)s?"
)
# Two patients on one phone share a first name; %(years)s is "1944 or 1970".
WHO_ASK_YEAR = N_(
    "More than one of our patients at this number is called %(first_name)s. "
    "Please reply with the year of birth: %(years)s."
)

# At any point
STOP_CONFIRMED = N_(
    "You are unsubscribed from %(pharmacy)s messages and will not get any more. "
    "Reply START to subscribe again."
)
START_CONFIRMED = N_(
    "You are subscribed again to %(pharmacy)s messages. Reply HELP for help, STOP to unsubscribe."
)
HELP = N_(
    "%(pharmacy)s med sync: refill check-ins and reminders, about 3 messages a month. "
    "Questions? Call %(pharmacy_phone)s. Reply STOP to unsubscribe."
)
# Each catalog names its own language here: "OK, we will write to you in Spanish" is wrong
# in Spanish; the Spanish catalog says "De acuerdo, le escribiremos en español."
LANGUAGE_CHANGED = N_("OK, we will write to you in English.")
# The first message to a patient whose language the pharmacy did not record; %(choices)s is
# "1 English, 2 Español, 3 简体中文, ..." with each language's own name.
LANGUAGE_MENU = N_(
    "Hello from %(pharmacy)s. Which language do you prefer? Reply with a number: %(choices)s"
)
PHARMACIST_CALLBACK = N_(
    "A pharmacist will call you back at this number soon. If it is urgent, call %(pharmacy_phone)s."
)
ESCALATED = N_("Sorry for the trouble. A pharmacist will call you to help.")
NOT_TEXT = N_("Sorry, we can only read written messages. Please reply in words.")
POSSIBLE_OPT_OUT = N_(
    "We will pass your message to the pharmacist. To stop all messages from us, reply STOP."
)
PASSED_ON = N_("Thank you, we have passed your message to the pharmacist.")
NEXT_PICKUP = N_("Your next pickup is %(date)s. Reply HELP for help.")
ENROLLMENT_IN_REVIEW = N_(
    "Thank you! A pharmacist is checking your med sync plan and will confirm your pickup day soon."
)
UNKNOWN_NUMBER = N_(
    "This is %(pharmacy)s. We could not find this number in our records. "
    "Please call us at %(pharmacy_phone)s."
)
