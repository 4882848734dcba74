"""Adherence before and after med sync, per therapy class, from bot/adherence.py: the share
of measurable patients with a Proportion of Days Covered of 80% or more, and how PDCs are
spread. The PDC definitions are in bot/adherence.py and docs/ADHERENCE.md."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.program import therapy_classes
from bot.program.adherence import ProgramAdherence, program_adherence
from bot.reports.period import Period

ALL_CLASSES = "all classes"


@dataclass(frozen=True)
class ClassAdherence:
    therapy_class: str  # "statins", or "all classes"
    label: str
    measured_before: int  # patient-class rows with a PDC before enrollment (or in the period)
    adherent_before: float | None  # share of those with PDC >= 80%
    measured_after: int  # rows of enrolled patients with a PDC after enrollment
    adherent_after: float | None


@dataclass(frozen=True)
class AdherenceFigures:
    patients: int  # patients with a fill of a therapy class in the period
    classes: tuple[ClassAdherence, ...]  # one per class, then "all classes"
    distribution: tuple[tuple[str, int, int], ...]  # (PDC bucket, before, after)


def _fraction(percent: Decimal | None) -> float | None:
    return None if percent is None else float(percent) / 100


def _class(program: ProgramAdherence, therapy_class: str | None) -> ClassAdherence:
    rows = [r for r in program.rows if therapy_class is None or r.therapy_class == therapy_class]
    return ClassAdherence(
        therapy_class=therapy_class or ALL_CLASSES,
        label=therapy_classes.label(therapy_class) if therapy_class else ALL_CLASSES,
        measured_before=sum(r.before is not None for r in rows),
        adherent_before=_fraction(program.share_adherent("before", therapy_class)),
        measured_after=sum(r.after is not None for r in rows),
        adherent_after=_fraction(program.share_adherent("after", therapy_class)),
    )


def adherence(session: Session, pharmacy_id: int, period: Period) -> AdherenceFigures:
    program = program_adherence(session, pharmacy_id, period.first, period.last)
    before = dict(program.distribution("before"))
    after = dict(program.distribution("after"))
    return AdherenceFigures(
        patients=len({r.patient_id for r in program.rows}),
        classes=(*(_class(program, c) for c in program.classes()), _class(program, None)),
        distribution=tuple((bucket, before[bucket], after.get(bucket, 0)) for bucket in before),
    )
