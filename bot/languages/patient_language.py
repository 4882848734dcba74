"""Whose word a patient's language is: the pharmacy's export's, or the patient's own.

A language the patient chose by text or on a call is kept: a later import's language column
does not overwrite it (it is kept apart, in `Patient.export_language`). The export's value
applies only until the patient chooses. The importer (bot/imports/pharmacy_export.py) and the
conversation's effects write these columns; the patient page says which applies and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.languages import catalogs, serving
from store.models import Patient, Pharmacy

EXPORT = "export"  # the pharmacy's export named it
PATIENT = "patient"  # the patient chose it by text or on a call: no import overwrites it
DEFAULT = "default"  # English after two unclear answers to the language menu: no one chose it
_VIA = {"sms": "by text", "voice": "on a call"}


def set_in_conversation(
    patient: Patient, language: str, chosen: bool, via: str, now: dt.datetime
) -> None:
    """A dialog set the patient's language (the SetLanguage effect), over `via` (sms, voice)."""
    patient.language = language
    patient.language_confirmed = True
    patient.language_source = PATIENT if chosen else DEFAULT
    patient.language_set_at = now
    patient.language_set_via = via
    patient.updated_at = now


def chosen_by_patient(source: str | None) -> bool:
    return source == PATIENT


@dataclass(frozen=True)
class LanguageOrigin:
    """Which language applies to a patient and why, for staff."""

    language: str  # the patient's language
    why: str  # "chosen by the patient by text on Dec 3, 2026"
    export_language: str | None = None  # set when the export says otherwise and is not used
    not_served: str = ""  # why MedSync writes in English instead, when it does


def origin(patient: Patient, pharmacy: Pharmacy) -> LanguageOrigin:
    source = patient.language_source
    when = _day(patient.language_set_at, pharmacy.timezone)
    how = _VIA.get(patient.language_set_via or "", "")
    if not patient.language_confirmed:
        why = (
            "not known yet: the pharmacy's export left it blank, so MedSync's first message "
            "asks (English until the patient answers)"
        )
    elif source == PATIENT:
        why = " ".join(p for p in ("chosen by the patient", how, when and f"on {when}") if p)
    elif source == DEFAULT:
        why = "the default: two answers to the language menu were unclear" + (
            f" ({when})" if when else ""
        )
    elif source == EXPORT:
        why = "from the pharmacy's export"
    else:
        why = "set before MedSync recorded whether the export or the patient chose it"
    overruled = patient.export_language
    if overruled == patient.language or not chosen_by_patient(source):
        overruled = None
    served = catalogs.served_language(patient.language, serving.overrides(pharmacy))
    own = catalogs.registry_tag(patient.language)
    not_served = "" if served == own else serving.why_not_served(pharmacy, patient.language)
    return LanguageOrigin(patient.language, why, overruled, not_served)


def _day(when: dt.datetime | None, timezone: str) -> str:
    if when is None:
        return ""
    day = when.astimezone(ZoneInfo(timezone)).date()
    return f"{day:%b} {day.day}, {day.year}"
