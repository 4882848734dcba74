"""The export's values: one parser per kind of column, from the cell's text to the stored value.

Each parser takes (column name, stripped text) and returns the stored value or raises `Invalid`,
whose message is the reason shown to staff. The fills import (bot/imports/fills.py) shares
`Invalid`, `parse_key`, `parse_date`, `parse_days_supply` and `parse_quantity`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import phonenumbers

from bot.imports import prescription_status
from bot.languages import catalogs

SCHEDULES: tuple[str, ...] = ("CII", "CIII", "CIV", "CV")
PACKAGES: tuple[str, ...] = ("inhaler", "insulin", "eye_drops", "patch", "liquid")
PHONE_TYPES: tuple[str, ...] = ("mobile", "landline")


class Invalid(Exception):
    """A value that cannot be used: the message is the reason shown to staff."""


def _required(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    def parse_required(name: str, text: str) -> Any:
        if not text:
            raise Invalid(f"{name} is blank")
        return parse(name, text)

    return parse_required


def _optional(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    def parse_optional(name: str, text: str) -> Any:
        return parse(name, text) if text else None

    return parse_optional


def _text(limit: int) -> Callable[[str, str], str]:
    def parse_text(name: str, text: str) -> str:
        if not text:
            raise Invalid(f"{name} is blank")
        if len(text) > limit:
            raise Invalid(f"{name} is longer than {limit} characters")
        return text

    return parse_text


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# How US pharmacy systems print dates: month first, a four-digit year (03/12/1950, 3/2/2026).
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


def _date(name: str, text: str) -> dt.date:
    """YYYY-MM-DD, or the US MM/DD/YYYY (month first, never day first); a two-digit year is
    refused, since a birth date's century cannot be guessed."""
    us = _US_DATE.fullmatch(text)
    if us is not None:
        month, day, year = (int(part) for part in us.groups())
    elif _DATE.fullmatch(text):
        year, month, day = int(text[:4]), int(text[5:7]), int(text[8:])
    else:
        raise Invalid(f"{name} '{text}' is not a date in YYYY-MM-DD (or MM/DD/YYYY) form")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise Invalid(f"{name} '{text}' is not a real date (expected YYYY-MM-DD)") from None


parse_key = _text(64)  # patient_id, rx_number; the fills import's too
parse_name = _text(100)
parse_drug_name = _text(200)
parse_address = _optional(_text(300))  # an extra column: households use it
parse_birth_date = _optional(_date)
parse_date = _required(_date)  # a required date; the fills import's too


def parse_phone(name: str, text: str) -> str:
    if not text:
        raise Invalid(f"{name} is blank")
    e164, problem = normalize_phone(text)
    if e164 is None:
        raise Invalid(problem)
    return e164


@lru_cache(maxsize=8192)
def normalize_phone(text: str, region: str = "US") -> tuple[str | None, str]:
    """(E.164 number, "") for a valid number, else (None, a plain reason)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, f"phone '{text}' is not a phone number"
    if not phonenumbers.is_valid_number(number):
        if number.country_code != 1:
            return None, f"phone '{text}' is not a valid phone number"
        hint = " (is the area code missing?)" if len(str(number.national_number)) < 10 else ""
        return None, f"phone '{text}' is not a valid US number{hint}"
    if number.extension:
        return None, (
            f"phone '{text}' has an extension; give a number that reaches the patient directly"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def parse_phone_type(name: str, text: str) -> str | None:
    value = text.lower()
    if not value:
        return None
    if value == "cell":
        return "mobile"
    if value not in PHONE_TYPES:
        raise Invalid(f"{name} '{text}' is not mobile, landline or blank")
    return value


_LANGUAGE = re.compile(
    r"[a-z]{2,3}"  # language
    r"(-[a-z]{4})?"  # script
    r"(-([a-z]{2}|\d{3}))?"  # region
    r"(-([a-z\d]{5,8}|\d[a-z\d]{3}))*"  # variants
    r"(-[a-wyz\d](-[a-z\d]{2,8})+)*"  # extensions
    r"(-x(-[a-z\d]{1,8})+)?"  # private use
)


# What pharmacy systems write when they do not know the language: read as blank (the patient
# is asked), not as a bad row. "und" is BCP 47's own "undetermined".
_UNKNOWN_LANGUAGE = frozenset(
    {
        "unknown",
        "unk",
        "und",
        "n/a",
        "na",
        "none",
        "other",
        "unspecified",
        "not specified",
        "-",
        "?",
    }
)


def language_unknown(text: str) -> bool:
    """Whether the language column says it is not known ("Unknown", "N/A", "und")."""
    return " ".join(text.split()).casefold() in _UNKNOWN_LANGUAGE


def parse_language(name: str, text: str) -> str:
    """A BCP 47 tag with the conventional casing (es, es-MX, zh-Hans, zh-Hant-TW); blank is en.
    A language's name, as pharmacy systems often keep it ("Spanish", "Español", "Creole",
    "French"), is taken as its tag (`catalogs.language_named`)."""
    if not text:
        return "en"
    tag = text.replace("_", "-").lower()
    if not _LANGUAGE.fullmatch(tag):
        named = catalogs.language_named(text)
        if named is None:
            raise Invalid(f"{name} '{text}' is not a language tag such as en, es or zh-Hans")
        return named
    if len(tag) > 16:
        raise Invalid(f"{name} '{text}' is longer than 16 characters")
    subtags = tag.split("-")
    cased = [subtags[0]]
    singleton = False
    for subtag in subtags[1:]:
        singleton = singleton or len(subtag) == 1
        if not singleton and len(subtag) == 4 and subtag.isalpha():
            subtag = subtag.title()
        elif not singleton and len(subtag) == 2 and subtag.isalpha():
            subtag = subtag.upper()
        cased.append(subtag)
    return "-".join(cased)


_SCHEDULE_NAMES = {
    "2": "CII", "II": "CII", "2N": "CII", "IIN": "CII",
    "3": "CIII", "III": "CIII", "3N": "CIII", "IIIN": "CIII",
    "4": "CIV", "IV": "CIV",
    "5": "CV", "V": "CV",
}  # fmt: skip


def parse_schedule(name: str, text: str) -> str | None:
    """CII, CIII, CIV, CV or None, from CII, C-II, II, 2, c2, Schedule II, 2N ..."""
    if not text:
        return None
    key = re.sub(r"[\s\-_.]+", "", text.upper())
    key = key.removeprefix("SCHEDULE").removeprefix("SCHED").removeprefix("C")
    schedule = _SCHEDULE_NAMES.get(key)
    if schedule is None:
        if key in ("1", "I"):
            raise Invalid(f"{name} '{text}' is schedule I, which cannot be prescribed")
        raise Invalid(
            f"{name} '{text}' is not a DEA schedule (expected CII, CIII, CIV, CV or blank)"
        )
    return schedule


_YES = frozenset({"y", "yes", "true", "t", "1"})
_NO = frozenset({"n", "no", "false", "f", "0"})


def parse_flag(name: str, text: str) -> bool:
    """An optional Y/N column: blank is N."""
    return parse_yes_no(name, text) if text else False


def parse_yes_no(name: str, text: str) -> bool:
    value = text.lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    if not value:
        raise Invalid(f"{name} is blank (expected Y or N)")
    raise Invalid(f"{name} '{text}' is not Y or N")


def parse_status(name: str, text: str) -> str:
    value = text.lower().replace(" ", "_") or "active"
    if value not in prescription_status.STATUSES:
        raise Invalid(
            f"{name} '{text}' is not one of {', '.join(prescription_status.STATUSES)} (or blank)"
        )
    return value


def parse_package(name: str, text: str) -> str | None:
    if not text:
        return None
    value = re.sub(r"[\s\-]+", "_", text.lower())
    if value not in PACKAGES:
        raise Invalid(f"{name} '{text}' is not one of {', '.join(PACKAGES)} (or blank)")
    return value


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


def _number(name: str, text: str, places: int, limit: int) -> Decimal:
    """A decimal rounded to the column's scale, below 10**limit in size."""
    if not _NUMBER.fullmatch(text):
        raise Invalid(f"{name} '{text}' is not a number")
    value = Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if abs(value) >= 10**limit:
        raise Invalid(f"{name} '{text}' is too large")
    return value


def _whole(name: str, text: str, low: int, high: int) -> int:
    if not text:
        raise Invalid(f"{name} is blank")
    if not re.fullmatch(r"[+-]?\d+(\.0*)?", text, re.ASCII):
        raise Invalid(f"{name} '{text}' is not a whole number")
    value = int(Decimal(text))
    if not low <= value <= high:
        raise Invalid(f"{name} '{text}' must be between {low} and {high}")
    return value


def parse_days_supply(name: str, text: str) -> int:
    return _whole(name, text, 1, 366)


def parse_refills(name: str, text: str) -> int:
    return _whole(name, text, 0, 999)


def parse_daily_quantity(name: str, text: str) -> Decimal | None:
    if not text:
        return None
    value = _number(name, text, 6, 6)
    if value <= 0:
        raise Invalid(f"{name} '{text}' must be more than 0 (leave it blank for as-needed)")
    return value


def parse_quantity(name: str, text: str) -> Decimal:
    if not text:
        raise Invalid(f"{name} is blank")
    value = _number(name, text, 3, 9)
    if value < 0:
        raise Invalid(f"{name} '{text}' must not be negative")
    return value


def parse_copay(name: str, text: str) -> Decimal:
    """Dollars: 10, 10.00, $10.00, $1,250.00."""
    if not text:
        raise Invalid(f"{name} is blank")
    cleaned = text.replace("$", "", 1).strip()
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")
    value = _number(name, cleaned, 2, 8).quantize(Decimal("0.01"))
    if value < 0:
        raise Invalid(f"{name} '{text}' must not be negative")
    return value


PAYERS: tuple[str, ...] = ("medicare_d", "medicaid", "commercial", "cash")
_PAYER_WORDS = {"part_d": "medicare_d", "medicare_part_d": "medicare_d", "self_pay": "cash"}


def parse_payer(name: str, text: str) -> str | None:
    """Who pays: medicare_d, medicaid, commercial or cash; blank: not known."""
    if not text:
        return None
    value = re.sub(r"[\s\-]+", "_", text.lower())
    value = _PAYER_WORDS.get(value, value)
    if value not in PAYERS:
        raise Invalid(f"{name} '{text}' is not one of {', '.join(PAYERS)} (or blank)")
    return value


def parse_max_days_supply(name: str, text: str) -> int | None:
    """The plan's most days' supply for one fill of this drug; blank: the program's."""
    return _whole(name, text, 1, 366) if text else None
