"""Which PQA therapy class a dispensed drug belongs to, from bot/program/therapy_classes.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("therapy_classes.toml")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class TherapyClass:
    name: str  # e.g. "statins"
    label: str  # for staff: "cholesterol medicines (statins)"
    short: str  # in a one-line explanation: "statins"
    ingredients: frozenset[str]
    exclude_patients_with: frozenset[str]


@dataclass(frozen=True)
class Match:
    therapy_class: str
    ingredient: str  # the matched ingredient: supplies of one ingredient are shifted, PQA-style


@cache
def therapy_classes() -> tuple[TherapyClass, ...]:
    """The table, in its file's order (the order reports list classes in)."""
    with TABLE.open("rb") as f:
        raw = tomllib.load(f)
    return tuple(
        TherapyClass(
            name=name,
            label=str(entry["label"]),
            short=str(entry.get("short", name.replace("_", " "))),
            ingredients=frozenset(i.lower() for i in entry["ingredients"]),
            exclude_patients_with=frozenset(
                i.lower() for i in entry.get("exclude_patients_with", [])
            ),
        )
        for name, entry in raw["classes"].items()
    )


def class_order() -> dict[str, int]:
    return {c.name: n for n, c in enumerate(therapy_classes())}


def label(name: str) -> str:
    return next((c.label for c in therapy_classes() if c.name == name), name)


def short(name: str) -> str:
    return next((c.short for c in therapy_classes() if c.name == name), name)


def words(drug_name: str) -> set[str]:
    return set(_WORD.findall(drug_name.lower()))


@cache
def classify(drug_name: str) -> tuple[Match, ...]:
    """Every class the drug belongs to (a combination product may be in several)."""
    found = words(drug_name)
    return tuple(
        Match(c.name, ingredient)
        for c in therapy_classes()
        for ingredient in sorted(c.ingredients & found)[:1]
    )


@cache
def excludes(therapy_class: str, drug_name: str) -> bool:
    """Whether a fill of this drug takes its patient out of the class's measure."""
    found = words(drug_name)
    return any(
        c.exclude_patients_with & found for c in therapy_classes() if c.name == therapy_class
    )
