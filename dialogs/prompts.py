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
# An unclear answer is asked again once, specifically (issue 15): never a bare "didn't
# understand", never a guess.
JUST_TO_BE_SURE = N_("Sorry, I want to be sure I got that right.")
CLARIFY_HOSPITAL = N_("Just to be sure: were you in a hospital or ER since your last pickup?")
CLARIFY_CHANGES = N_(
    "Just to be sure: did a doctor start, stop or change any of your medicines, or find a new "
    "health problem, since your last pickup?"
)
CLARIFY_MISSED_DOSES = N_("Just to be sure: did you miss any doses since your last pickup?")
# Questions back, answered before the open question is asked again.
WHO_IS_THIS = N_("This is %(pharmacy)s, your pharmacy. You can call us at %(pharmacy_phone)s.")
PHARMACY_HOURS = N_("%(pharmacy)s is open %(hours)s. Our phone number is %(pharmacy_phone)s.")
PHARMACY_HOURS_UNKNOWN = N_("Please call %(pharmacy)s at %(pharmacy_phone)s for our opening hours.")
MEANING_ENROLL = N_(
    "Med sync means we prepare all your regular medicines together, so you pick them up on one "
    "day each month instead of many trips. You can stop at any time."
)
MEANING_ANCHOR = N_(
    "Please choose the day of each month when you want to pick up all your medicines at once: "
    "a number from 1 to 28."
)
MEANING_HOSPITAL = N_(
    "I am asking if you stayed in a hospital, or went to an emergency room or urgent care, "
    "since your last pickup."
)
MEANING_CHANGES = N_(
    "I am asking if a doctor gave you a new medicine, stopped one, changed a dose, or found a "
    "new health problem since your last pickup."
)
MEANING_MISSED_DOSES = N_(
    "I am asking if there were days when you forgot or skipped your medicines since your last "
    "pickup."
)
MEANING_ANYTHING_ELSE = N_(
    "If you have a question or a request for the pharmacist, write it here. If not, reply NO."
)
MEANING_STILL_COMING = N_(
    "I am asking if you will come for your medicines on %(date)s. If another day is better, "
    "send the day of the month."
)
# Several answers in one message: what was understood, in one line each.
NOTED_HOSPITAL_YES = N_("Noted: a hospital or ER visit.")
NOTED_HOSPITAL_NO = N_("Noted: no hospital or ER visit.")
NOTED_CHANGES_YES = N_("Noted: a change from your doctor.")
NOTED_CHANGES_NO = N_("Noted: no new medicines or changes.")
NOTED_MISSED_DOSES_YES = N_("Noted: you missed some doses.")
NOTED_MISSED_DOSES_NO = N_("Noted: you did not miss any doses.")
NOTE_PASSED = N_("The rest of your message goes to the pharmacist with your answers.")

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
# The trips before the first synced pickup (the sync visit), right after the day is chosen.
ANCHOR_ONE_VISIT = N_(
    "To get in sync, please also come in once before then, on %(date)s, for the medicines "
    "that are due sooner."
)
ANCHOR_VISITS = N_(
    "To get in sync, please also come in before then for the medicines that are due sooner: "
    "%(count)s visits, the first on %(date)s. A pharmacist will confirm the days with you."
)
# What getting in sync costs, told right after the pickup day is chosen (amounts, never names).
COST_ESTIMATE = N_(
    "To get in sync, some refills before your first synced pickup on %(date)s may be shorter, "
    "with a lower, prorated copay: about %(prorated)s in all instead of %(usual)s."
)
COST_GENERAL = N_(
    "To get in sync, some refills before your first synced pickup may be shorter, with a lower, "
    "prorated copay. Ask us if you have questions about the cost."
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
# All clear, but a prescription of this pickup waits on a renewal: no promise that everything
# is ready, and no medicine named (texts are not encrypted).
CHECK_IN_READY_RENEWAL = N_(
    "Thank you! Your pickup is on %(date)s. One of your prescriptions needs a new order from "
    "your doctor; we are asking for it and will let you know."
)
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
# The same, to a phone several patients share: whose medicines, by first name only.
PICKUP_REMINDER_FOR = N_(
    "Reminder from %(pharmacy)s for %(first_name)s: your medicines will be ready for pickup "
    "on %(date)s."
)
# The reminder while a prescription of this pickup waits on a renewal (a pending renewal
# review item): the day, and no promise that everything is ready. No medicine named, whatever
# the patient opted in to (bot/program/renewals.py).
PICKUP_REMINDER_RENEWAL = N_(
    "Reminder from %(pharmacy)s: your pickup is on %(date)s. One of your prescriptions needs "
    "a new order from your doctor; we are asking for it and will let you know."
)
PICKUP_REMINDER_FOR_RENEWAL = N_(
    "Reminder from %(pharmacy)s for %(first_name)s: your pickup is on %(date)s. One of your "
    "prescriptions needs a new order from your doctor; we are asking for it and will let you "
    "know."
)
# The four reminders above, to a patient who has their medicines delivered (the delivery
# preference on): nothing to come and pick up, so the day is the delivery's, worded as the
# check-in's CHECK_IN_READY_DELIVERY. Never the detailed reminder, which says "ready for
# pickup" (bot/program/renewals.py).
PICKUP_REMINDER_DELIVERY = N_(
    "Reminder from %(pharmacy)s: we will deliver your medicines for your pickup date, %(date)s."
)
PICKUP_REMINDER_FOR_DELIVERY = N_(
    "Reminder from %(pharmacy)s for %(first_name)s: we will deliver your medicines for your "
    "pickup date, %(date)s."
)
PICKUP_REMINDER_DELIVERY_RENEWAL = N_(
    "Reminder from %(pharmacy)s: your delivery is planned for %(date)s. One of your "
    "prescriptions needs a new order from your doctor; we are asking for it and will let you "
    "know."
)
PICKUP_REMINDER_FOR_DELIVERY_RENEWAL = N_(
    "Reminder from %(pharmacy)s for %(first_name)s: your delivery is planned for %(date)s. One "
    "of your prescriptions needs a new order from your doctor; we are asking for it and will "
    "let you know."
)
# Issue 16: the fills were not picked up by the pharmacy's grace days after the pickup date;
# and, after the program's number of such cycles in a row, the note that ends the monthly
# preparation. No drug names (never: these go whatever the patient opted in to).
NOT_PICKED_UP = N_(
    "%(pharmacy)s: your medicines have been ready for you since %(date)s. Please come and "
    "get them, or call us at %(pharmacy_phone)s if anything has changed."
)
PICKUPS_STOPPED = N_(
    "%(pharmacy)s: your medicines have not been collected for a while, so we have stopped "
    "preparing them ahead of time. Call us at %(pharmacy_phone)s if you would like to start again."
)

# A pharmacy's standalone assessment (a vaccine offer, a survey): its questions are the
# pharmacy's own words; these open and close it. No drug names or conditions here either.
ASSESSMENT_INTRO = N_("Hi %(first_name)s, this is %(pharmacy)s.")
ASSESSMENT_THANKS = N_("Thank you for your answers.")
ASSESSMENT_FLAGGED = N_(
    "Thank you for your answers. A pharmacist will look at them and may call you."
)

# Preferences: asked once after the pickup day, and again whenever the patient asks
# (dialogs/preferences.py). SETTINGS is each language's own keyword from its vocabulary.
PREFS_INTRO = N_("A few quick questions about how we serve you. You can skip any of them.")
PREFS_MENU_INTRO = N_("Let's update your preferences. You can skip any question.")
PREF_ASK_DELIVERY = N_(
    "Would you like us to deliver your medicines to your home instead of picking them up?"
)
PREF_ASK_CHANNEL = N_("Would you prefer phone calls instead of texts for your check-ins?")
PREF_ASK_TIME = N_(
    "What time of day is best for our messages? 1 for morning, 2 for afternoon, 3 for evening."
)
PREF_ASK_DETAILED = N_(
    "Texts are not encrypted, so others could read them. May our messages name your medicines?"
)
PREFS_SAVED = N_(
    "Thank you! You can change these choices any time: text SETTINGS or call %(pharmacy_phone)s."
)
PREF_DELIVERY_ON = N_("OK, we will deliver your medicines to the address we have on file.")
PREF_DELIVERY_OFF = N_("OK, you will pick up your medicines at the pharmacy.")
PREF_CHANNEL_CALL = N_("OK, we will call you for your check-ins instead of texting.")
PREF_CHANNEL_TEXT = N_("OK, we will text you for your check-ins.")
PREF_CHANNEL_LANDLINE = N_("This number cannot receive texts, so we will keep calling you.")
PREF_TIME_MORNING = N_("OK, we will contact you in the morning.")
PREF_TIME_AFTERNOON = N_("OK, we will contact you in the afternoon.")
PREF_TIME_EVENING = N_("OK, we will contact you in the evening.")
PREF_DETAILED_ON = N_("OK, our messages may name your medicines from now on.")
PREF_DETAILED_OFF = N_("OK, our messages will not name your medicines.")
# The check-in of a patient who wants delivery: the address is never written in a text.
CHECK_IN_DELIVERY_ADDRESS = N_("Should we deliver to the address we have on file?")
CHECK_IN_DELIVERY_CALL = N_("Someone from the pharmacy will call you to confirm the address.")
CHECK_IN_READY_DELIVERY = N_(
    "Thank you! We will deliver your medicines for your pickup date, %(date)s."
)
CHECK_IN_READY_DELIVERY_RENEWAL = N_(
    "Thank you! Your delivery is planned for your pickup date, %(date)s. One of your "
    "prescriptions needs a new order from your doctor; we are asking for it and will let you "
    "know."
)
# Only for a patient who opted in to detailed messages: %(medicines)s names the medicines.
PICKUP_REMINDER_DETAILED = N_(
    "Reminder from %(pharmacy)s: your %(medicines)s will be ready for pickup on %(date)s."
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
# Households: %(everyone)s is "Robert and Linda" (first names, the patient's own included).
HOUSEHOLD_OFFER = N_(
    "Thank you! %(everyone)s use this phone. Would you like to pick up your medicines "
    "together, on one day?"
)
HOUSEHOLD_DAY_ASK = N_(
    "Thank you! To pick up together, we suggest day %(day)s. "
    "Which day of the month should be your pickup day?"
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
# While a pharmacist's reply is open (a staff thread): the patient's text goes to them.
STAFF_WILL_READ = N_("Thank you. The pharmacist will read your message.")
NEXT_PICKUP = N_("Your next pickup is %(date)s. Reply HELP for help.")
ENROLLMENT_IN_REVIEW = N_(
    "Thank you! A pharmacist is checking your med sync plan and will confirm your pickup day soon."
)
UNKNOWN_NUMBER = N_(
    "This is %(pharmacy)s. We could not find this number in our records. "
    "Please call us at %(pharmacy_phone)s."
)

# Caregivers (dialogs/caregiver.py): another phone that gets the patient's messages and may
# answer for them. The caregiver did not opt in to details: no drug names, no conditions.
CAREGIVER_ASK_NUMBER = N_(
    "Who should get your pharmacy texts and be able to answer them for you? "
    "Send their mobile number."
)
CAREGIVER_CONFIRM = N_(
    "%(phone)s will get your pharmacy texts and can answer them for you. Is that right?"
)
CAREGIVER_ADDED = N_(
    "Done: %(phone)s will get your pharmacy texts too, and we are telling them so. "
    "Text REMOVE to take them off."
)
CAREGIVER_NOT_ADDED = N_("OK, no one was added.")
CAREGIVER_WELCOME = N_(
    "Hi, %(pharmacy)s here. %(patient)s added this number to get their pharmacy texts and "
    "answer them for them. Reply REMOVE to stop getting them, or STOP for no texts at all."
)
CAREGIVER_WELCOME_BY_STAFF = N_(
    "Hi, %(pharmacy)s here. With %(patient)s's permission, our staff added this number to get "
    "their pharmacy texts and answer them for them. Reply REMOVE to stop getting them, or STOP "
    "for no texts at all."
)
CAREGIVER_REMOVED = N_(
    "Done: you will no longer get pharmacy texts for %(names)s. Questions? Call %(pharmacy_phone)s."
)
CAREGIVER_REMOVED_BY_PATIENT = N_("Done: %(phones)s will no longer get your pharmacy texts.")


# Services at pickup (dialogs/services.py): offered after an all-clear check-in. They name the
# service, never a condition, and ride in the same text as the check-in's answer.
SERVICE_FLU_SHOT = N_(
    "While you are here for your pickup on %(date)s, would you like a flu shot? It takes a few "
    "minutes."
)
SERVICE_SHINGLES_SHOT = N_(
    "While you are here for your pickup on %(date)s, would you like a shingles vaccine?"
)
SERVICE_BLOOD_PRESSURE_CHECK = N_(
    "While you are here for your pickup on %(date)s, would you like a blood pressure check?"
)
SERVICE_MEDICATION_REVIEW = N_(
    "While you are here for your pickup on %(date)s, would you like a few minutes with a "
    "pharmacist to go over all your medicines?"
)
SERVICE_ACCEPTED = N_("Thank you: we will have it ready for you at your pickup.")
SERVICE_DECLINED = N_("No problem. Just ask at the counter if you change your mind.")
