"""A pharmacy's own check-in: the default questions plus its own, in English and Spanish."""

from __future__ import annotations

from dialogs.assessment_file import DEFAULT_FILE

# The pharmacy's additions after the default questions: a vaccine offer (flags on yes), how
# many doses were missed (asked only after "yes", flags above 2) and how the patient feels
# about their medicines (a choice, flags on "worse").
OWN_QUESTIONS = """
[[question]]
id = "flu_shot"
kind = "yes_no"
text.en = "Would you like a flu shot when you pick up on %(date)s?"
text.es = "¿Desea una vacuna contra la gripe cuando recoja el %(date)s?"
flag_on = "yes"
flag_reason = "wants a flu shot"

[[question]]
id = "doses_missed"
kind = "number"
text.en = "How many doses did you miss last week?"
text.es = "¿Cuántas dosis olvidó la semana pasada?"
ask_if = { question = "missed_doses", answer = "yes" }
min = 0
max = 50
flag_above = 2
flag_reason = "missed more than 2 doses"

[[question]]
id = "feeling"
kind = "choice"
text.en = "Since you started, do you feel better, the same or worse?"
text.es = "Desde que empezó, ¿se siente mejor, igual o peor?"
choices = [
  { id = "better", en = "Better", es = "Mejor" },
  { id = "same", en = "The same", es = "Igual" },
  { id = "worse", en = "Worse", es = "Peor" },
]
flag_on = ["worse"]
flag_reason = "feels worse since starting"
"""


def pharmacy_file() -> str:
    """The default file, versioned up, in English and Spanish, with the pharmacy's questions
    after "anything else" (before the pickup-date question, which stays last)."""
    default = DEFAULT_FILE.read_text(encoding="utf-8")
    text = default.replace("version = 1", "version = 2").replace(
        'languages = ["en"]', 'languages = ["en", "es"]'
    )
    head, last = text.split('[[question]]\nid = "still_coming"')
    return head + OWN_QUESTIONS.lstrip() + '\n[[question]]\nid = "still_coming"' + last


# Standalone assessments, sent on their own (`medsync assessments load / send`).
FLU_OFFER = """
id = "flu_offer"
version = 1
languages = ["en", "es"]

[[question]]
id = "flu_shot"
kind = "yes_no"
text.en = "Would you like a flu shot at your next pickup?"
text.es = "¿Desea una vacuna contra la gripe en su próxima recogida?"
flag_on = "yes"
flag_reason = "wants a flu shot"
"""

# A side-effect survey: a choice, then a number asked only after "worse".
SIDE_EFFECTS = """
id = "side_effects"
version = 1
languages = ["en", "es"]

[[question]]
id = "feeling"
kind = "choice"
text.en = "Since your last pickup, do you feel better, the same or worse?"
text.es = "Desde su última recogida, ¿se siente mejor, igual o peor?"
choices = [
  { id = "better", en = "Better", es = "Mejor" },
  { id = "same", en = "The same", es = "Igual" },
  { id = "worse", en = "Worse", es = "Peor" },
]
flag_on = ["worse"]
flag_reason = "feels worse"

[[question]]
id = "bad_days"
kind = "number"
text.en = "On how many days last month did you feel unwell?"
text.es = "¿Cuántos días del mes pasado se sintió mal?"
ask_if = { question = "feeling", answer = "worse" }
min = 0
max = 31
flag_above = 10
flag_reason = "unwell more than 10 days last month"
"""
