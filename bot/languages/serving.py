"""Which language a pharmacy writes to a patient in, and telling staff when it is not theirs.

A pharmacy may turn a language off (its catalog not reviewed yet, say): its patients then get
English, and staff get one review item per patient and language saying so. The same happens
for a language MedSync has no catalog for ("fr" from the pharmacy's export).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.languages import catalogs
from store.models import Patient, Pharmacy, ReviewItem, ReviewKind, ReviewStatus


def overrides(pharmacy: Pharmacy) -> Mapping[str, bool]:
    return {str(k): bool(v) for k, v in (pharmacy.language_overrides or {}).items()}


def offered(pharmacy: Pharmacy) -> tuple[tuple[str, str], ...]:
    """The language menu at this pharmacy: (tag, native name) in the registry's order."""
    return catalogs.offered_languages(overrides(pharmacy))


def language_for(session: Session, pharmacy: Pharmacy, patient: Patient, now: dt.datetime) -> str:
    """The language to write to `patient` in; the first time it is not theirs, tell staff."""
    served = catalogs.served_language(patient.language, overrides(pharmacy))
    own = catalogs.registry_tag(patient.language)
    if served != own and own != catalogs.DEFAULT_LANGUAGE:
        _note_once(session, pharmacy, patient, now)
    return served


def why_not_served(pharmacy: Pharmacy, language: str) -> str:
    """A sentence for staff: why a patient whose language is `language` gets English."""
    entry = catalogs.registry().get(catalogs.registry_tag(language) or "")
    if entry is None:
        return f"MedSync has no translation for the language '{language}'"
    if not catalogs.has_catalog(entry.tag):
        return f"MedSync has no {entry.english_name} translation yet"
    return f"{entry.english_name} is turned off at {pharmacy.name}"


def _note_once(session: Session, pharmacy: Pharmacy, patient: Patient, now: dt.datetime) -> None:
    earlier = session.scalars(
        select(ReviewItem).where(
            ReviewItem.patient_id == patient.id,
            ReviewItem.kind == ReviewKind.LANGUAGE_UNAVAILABLE,
        )
    )
    if any((item.details or {}).get("language") == patient.language for item in earlier):
        return
    session.add(
        ReviewItem(
            pharmacy_id=pharmacy.id,
            patient_id=patient.id,
            phone=patient.phone,
            kind=ReviewKind.LANGUAGE_UNAVAILABLE,
            status=ReviewStatus.PENDING,
            priority=1,
            summary=f"{why_not_served(pharmacy, patient.language)}, so MedSync writes to this "
            "patient in English. Please make sure they understand, or call them.",
            details={"language": patient.language},
            created_at=now,
        )
    )
