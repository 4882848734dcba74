"""Every dialog, played start to finish in English and Spanish, against reviewed transcripts;
enrollment, anchor day, check-in, STOP and a language change in every language with a
complete catalog; and the language menu for a patient whose language is unknown."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.languages import catalogs as i18n
from dialogs.context import PatientFacts, TripPlan
from dialogs.plan.open_days import OpenDays
from dialogs.turn import Digits, Event, Start, Text, Timeout
from tests.dialogs.transcript import Case, check, patient

ANCHOR = dt.date(2026, 12, 15)
LANGUAGES = ["en", "es"]


def texts(*bodies: str) -> list[Event]:
    return [Text(b) for b in bodies]


def open_check_in() -> Event:
    return Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR})


ENROLLED = {"enrollment": "pending_review", "anchor_day": 15, "next_anchor_date": ANCHOR}

CASES: dict[str, dict[str, Case]] = {
    "enroll_and_choose_day": {
        "en": Case("", texts("Hi", "yes", "the 12th"), note="offer, consent, a typed day"),
        "es": Case("", texts("Hola", "Sí", "el 12"), note="offer, consent, a typed day"),
    },
    "enroll_accept_suggested_day": {
        "en": Case("", texts("hello", "YES!", "ok")),
        "es": Case("", texts("buenas", "si", "vale")),
    },
    "enroll_declined": {
        "en": Case("", texts("hi", "no thanks")),
        "es": Case("", texts("hola", "no gracias")),
    },
    "enroll_unclear_twice": {
        "en": Case(
            "",
            texts("hi", "maybe later?", "🤷‍♀️", "yes"),
            note="re-asked once, then staff call; a yes after it still answers the question",
        ),
        "es": Case(
            "",
            texts("hola", "tal vez", "🤷‍♀️", "sí"),
            note="re-asked once, then staff call; a yes after it still answers the question",
        ),
    },
    "anchor_day_forms": {
        "en": Case(
            "", texts("31", "when is good?", "fifteenth"), note="out of range, unclear, words"
        ),
        "es": Case("", texts("31", "cuándo?", "quince"), note="out of range, unclear, words"),
    },
    "check_in_all_clear": {
        "en": Case("", [open_check_in(), *texts("no", "No.", "nope", "no", "yes")]),
        "es": Case("", [open_check_in(), *texts("no", "No.", "nada", "no", "sí")]),
    },
    "check_in_flagged": {
        "en": Case(
            "",
            [
                open_check_in(),
                *texts("yes", "no", "Yes, a few", "I get dizzy in the mornings", "20"),
            ],
        ),
        "es": Case(
            "",
            [
                open_check_in(),
                *texts("sí", "no", "sí, algunas", "Me mareo por las mañanas", "el 20"),
            ],
        ),
    },
    "check_in_by_keypad": {
        "en": Case(
            "", [open_check_in(), Digits("2"), Digits("2"), Digits("1"), Text("no"), Digits("1")]
        ),
        "es": Case(
            "", [open_check_in(), Digits("2"), Digits("2"), Digits("1"), Text("no"), Digits("1")]
        ),
    },
    "check_in_unclear_twice": {
        "en": Case("", [open_check_in(), *texts("what?", "12345")]),
        "es": Case(
            "",
            [open_check_in(), *texts("¿qué?", "12345", "🤷")],
            note="a question back is answered, then two unclear answers",
        ),
    },
    "check_in_follow_up": {
        "en": Case(
            "", [open_check_in(), Text("no"), Timeout(), Text("no")], note="48 h without an answer"
        ),
        "es": Case(
            "", [open_check_in(), Text("no"), Timeout(), Text("no")], note="48 h sin respuesta"
        ),
    },
    "help_and_pharmacist_mid_check_in": {
        "en": Case("", [open_check_in(), *texts("HELP", "no", "pharmacist", "no")]),
        "es": Case("", [open_check_in(), *texts("AYUDA", "no", "farmacéutico", "no")]),
    },
    "stop_then_start": {
        "en": Case("", texts("hi", "STOP", " stop. ", "hello? is anyone there", "yes", "START")),
        "es": Case("", texts("hola", "ALTO", "Stop", "¿hola? hay alguien", "sí", "START")),
    },
    "stop_mid_check_in": {
        "en": Case("", [open_check_in(), *texts("yes", "Unsubscribe")]),
        "es": Case("", [open_check_in(), *texts("sí", "parar")]),
    },
    "language_change": {
        "en": Case("", texts("hi", "Español", "sí")),
        "es": Case("", texts("hola", "English", "yes")),
    },
    "empty_and_media": {
        "en": Case("", [Text(""), Text("", num_media=1), Text("yes")]),
        "es": Case("", [Text(""), Text("", num_media=1), Text("sí")]),
    },
    "possible_opt_out": {
        "en": Case("", texts("please stop texting me")),
        "es": Case("", texts("por favor no me escriban más")),
    },
    "enrolled_patient_writes": {
        "en": Case("", texts("thanks!", "Can I come on the 18th instead?")),
        "es": Case("", texts("gracias", "¿Puedo ir el 18 mejor?")),
    },
    # Issue 16: the trips named truthfully, and closed days.
    "anchor_sync_visit": {
        "en": Case("", texts("the 15th"), note="one sync visit before the first synced pickup"),
        "es": Case("", texts("el 15"), note="one sync visit before the first synced pickup"),
    },
    "anchor_closed_day": {
        "en": Case("", texts("25"), note="Dec 25 is closed: Dec 24; two visits, one override"),
        "es": Case("", texts("25"), note="Dec 25 is closed: Dec 24; two visits, one override"),
    },
    "check_in_service_offer": {
        "en": Case(
            "",
            [open_check_in(), *texts("no", "no", "no", "no", "yes", "yes please")],
            note="all clear, then a flu shot offered and accepted",
        ),
        "es": Case(
            "",
            [open_check_in(), *texts("no", "no", "no", "no", "sí", "no gracias")],
            note="all clear, then a flu shot offered and declined",
        ),
    },
    "check_in_renewal_pending": {
        "en": Case(
            "",
            [open_check_in(), *texts("no", "no", "no", "no", "yes")],
            note="all clear, but a prescription of the Dec 15 pickup waits on a renewal",
        ),
        "es": Case(
            "",
            [open_check_in(), *texts("no", "no", "nada", "no", "sí")],
            note="todo bien, pero una receta de la recogida del 15 de dic. espera renovación",
        ),
    },
    "check_in_closed_day": {
        "en": Case(
            "", [open_check_in(), *texts("no", "no", "no", "no", "yes")], note="Dec 15 closed"
        ),
        "es": Case(
            "", [open_check_in(), *texts("no", "no", "no", "no", "sí")], note="Dec 15 closed"
        ),
    },
}

# The trips each case's plan gives (bot/program/plans.py works them out from the store).
SYNC_VISIT = {
    15: TripPlan(ANCHOR, ANCHOR, (dt.date(2026, 12, 7),)),
    10: TripPlan(dt.date(2026, 12, 10), dt.date(2026, 12, 10), ()),
}
CLOSED_25 = {
    25: TripPlan(
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 24),
        (dt.date(2026, 12, 2), dt.date(2026, 12, 11)),
        overrides=("RX1002",),
    )
}
# A pharmacy closed on Dec 15, 2026 (its own date) and on US federal holidays.
CLOSED_15 = OpenDays(closed_dates=frozenset({ANCHOR}))
CASE_SETUP: dict[str, dict[str, object]] = {
    "anchor_sync_visit": {"trip_plans": SYNC_VISIT, "proposed_anchor_day": 15},
    "anchor_closed_day": {"trip_plans": CLOSED_25},
    "check_in_service_offer": {"service_offer": ("flu_shot", "flu_shot")},
    "check_in_renewal_pending": {"renewal_pending": (ANCHOR,)},
}

# Conversations whose patient has already chosen a day start from that context.
PRE_ENROLLED = {
    "check_in_all_clear",
    "check_in_flagged",
    "check_in_follow_up",
    "check_in_by_keypad",
    "check_in_unclear_twice",
    "help_and_pharmacist_mid_check_in",
    "stop_mid_check_in",
    "enrolled_patient_writes",
    "check_in_closed_day",
    "check_in_service_offer",
    "check_in_renewal_pending",
}
CONSENTED = {"anchor_day_forms", "anchor_sync_visit", "anchor_closed_day"}


def build(name: str, language: str) -> Case:
    case = CASES[name][language]
    case.name = name
    overrides: dict[str, object] = {"proposed_anchor_day": 10}
    if name in PRE_ENROLLED:
        overrides |= ENROLLED
        if name == "enrolled_patient_writes":
            overrides |= {"enrollment": "active"}
    if name in CONSENTED:
        overrides |= {"enrollment": "consented"}
    overrides |= CASE_SETUP.get(name, {})
    case.patients = (patient(language, **overrides),)
    if name == "check_in_closed_day":
        case.open_days = CLOSED_15
    if name in CONSENTED:  # the patient said yes and was asked for a day
        case.state = {"version": 1, "dialog": "anchor", "step": "day", "subject": 1}
    return case


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, language: str) -> None:
    check(build(name, language), language)


def _millers(language: str) -> tuple[PatientFacts, ...]:
    return (
        PatientFacts(id=11, first_name="Robert", language=language, birth_year=1944),
        PatientFacts(id=12, first_name="Linda", language=language, birth_year=1947),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_golden_staff_thread(language: str) -> None:
    """A pharmacist replied: what the patient writes back goes to that item, not to a canned
    answer; STOP, HELP and "call me" still work, and a check-in question still gets its answer."""
    words = {
        "en": ("After 3pm please, I feel a bit dizzy", "thanks!", "HELP", "STOP"),
        "es": (
            "Después de las 3, por favor, me siento un poco mareado",
            "¡gracias!",
            "AYUDA",
            "ALTO",
        ),
    }[language]
    case = Case(
        "staff_thread",
        [*texts(*words[:3]), open_check_in(), Text(words[1]), Text(words[3])],
        patients=(patient(language, **{**ENROLLED, "enrollment": "active"}),),  # type: ignore[arg-type]
        staff_thread=41,
        note="a pharmacist's reply to item 41 is open",
    )
    check(case, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_golden_shared_phone(language: str) -> None:
    words = {"en": ("hi", "it's for Linda", "yes"), "es": ("hola", "es para Linda", "sí")}[language]
    case = Case(
        "shared_phone",
        texts(*words),
        patients=_millers(language),
        note="one landline, two patients",
    )
    check(case, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_golden_unknown_number(language: str) -> None:
    case = Case("unknown_number", texts("hola" if language == "es" else "hello", "who is this"))
    check(case, language)


# ------------------------------------------------------------------ every language

# What a patient types, per language, in the cases every language plays (English and Spanish
# have theirs in CASES above). A language whose catalog is complete needs a row here: its
# transcripts tests/dialogs/golden/<case>.<tag>.txt are then played and must be reviewed.
PHRASES: dict[str, dict[str, str]] = {
    "zh-Hans": {
        "hello": "你好", "yes": "是的", "day": "十二号",
        "no": "没有", "no.": "没有。", "nothing": "都没有", "coming": "会的",
        "a_few": "有，几次", "symptom": "我早上起来会头晕", "other_day": "二十号",
        "stop": "停止", "anyone": "你好？有人吗",
    },
    "zh-Hant": {
        "hello": "你好", "yes": "是的", "day": "十二號",
        "no": "沒有", "no.": "沒有。", "nothing": "都沒有", "coming": "會的",
        "a_few": "有，幾次", "symptom": "我早上起來會頭暈", "other_day": "廿號",
        "stop": "停止", "anyone": "你好？有人嗎",
    },
    "ko": {
        "hello": "안녕하세요", "yes": "네", "day": "십이일",
        "no": "아니요", "no.": "아니요.", "nothing": "없어요", "coming": "네, 갈게요",
        "a_few": "네, 몇 번이요", "symptom": "아침마다 어지러워요", "other_day": "20일로 해주세요",
        "stop": "중지", "anyone": "여보세요? 누구 없어요?",
    },
    "vi": {
        "hello": "Chào", "yes": "Dạ có", "day": "ngày mười hai",
        "no": "Không", "no.": "Không.", "nothing": "Dạ không có", "coming": "Có",
        "a_few": "Có, vài lần", "symptom": "Buổi sáng tôi hay bị chóng mặt", "other_day": "ngày 20",
        "stop": "Ngừng", "anyone": "Alô? Có ai không?",
    },
    "ru": {
        "hello": "Здравствуйте", "yes": "Да", "day": "12-го",
        "no": "нет", "no.": "Нет.", "nothing": "ничего", "coming": "да",
        "a_few": "да, несколько раз", "symptom": "по утрам кружится голова", "other_day": "20-го",
        "stop": "СТОП", "anyone": "алло? есть кто-нибудь",
    },
    "ar": {
        "hello": "مرحبا", "yes": "نعم", "day": "١٢",
        "no": "لا", "no.": "لا.", "nothing": "لا شيء", "coming": "نعم",
        "a_few": "نعم، عدة مرات", "symptom": "أشعر بدوخة في الصباح", "other_day": "٢٠",
        "stop": "توقف", "anyone": "مرحبا؟ هل يوجد أحد",
    },
    "tl": {
        "hello": "Magandang araw po", "yes": "Opo", "day": "sa ika-12",
        "no": "hindi po", "no.": "Hindi.", "nothing": "wala po", "coming": "opo",
        "a_few": "oo, ilang beses", "symptom": "nahihilo po ako tuwing umaga", "other_day": "20",
        "stop": "TIGIL", "anyone": "hello? may tao ba",
    },
    "ht": {
        "hello": "Bonjou", "yes": "Wi", "day": "12",
        "no": "non", "no.": "Non.", "nothing": "pa gen anyen", "coming": "wi",
        "a_few": "wi, kèk fwa", "symptom": "mwen toudi nan maten", "other_day": "20",
        "stop": "RETE", "anyone": "alo? gen moun la?",
    },
}  # fmt: skip

EVERY_LANGUAGE = (
    "enroll_and_choose_day",
    "check_in_all_clear",
    "check_in_flagged",
    "stop_then_start",
    "language_change",
)


def complete_catalogs() -> list[str]:
    """Registry languages whose catalog has every message, with correct placeholders."""
    return [tag for tag in i18n.registry() if i18n.check_catalog(tag).complete]


MORE_LANGUAGES = [tag for tag in complete_catalogs() if tag not in LANGUAGES]


def played(name: str, language: str) -> Case:
    """One of the EVERY_LANGUAGE cases, with what a patient types in `language`."""
    said = PHRASES[language]
    events = {
        "enroll_and_choose_day": texts(said["hello"], said["yes"], said["day"]),
        "check_in_all_clear": [
            open_check_in(),
            *texts(said["no"], said["no."], said["nothing"], said["no"], said["coming"]),
        ],
        "check_in_flagged": [
            open_check_in(),
            *texts(said["yes"], said["no"], said["a_few"], said["symptom"], said["other_day"]),
        ],
        "stop_then_start": texts(
            said["hello"], said["stop"], "STOP", said["anyone"], said["yes"], "START"
        ),
        "language_change": texts(said["hello"], "English", "yes"),
    }[name]
    note = {"enroll_and_choose_day": "offer, consent, a typed day"}.get(name, "")
    CASES.setdefault(name, {})[language] = Case("", events, note=note)
    return build(name, language)


@pytest.mark.parametrize("language", MORE_LANGUAGES)
@pytest.mark.parametrize("name", EVERY_LANGUAGE)
def test_golden_in_every_language(name: str, language: str) -> None:
    assert language in PHRASES, f"add what a patient types in {language} to PHRASES"
    check(played(name, language), language)


def test_the_core_cases_are_played_in_every_language_with_a_complete_catalog() -> None:
    """Which of the registry's languages are played; a complete catalog is always played."""
    played_languages = set(LANGUAGES) | (set(PHRASES) & set(complete_catalogs()))
    assert set(complete_catalogs()) <= played_languages
    assert {"en", "es", "zh-Hans", "zh-Hant", "ko", "vi"} <= played_languages
    for name in EVERY_LANGUAGE:
        assert set(CASES[name]) >= set(LANGUAGES)


# ------------------------------------------------------------------ unknown language


def _unknown(language: str = "en") -> PatientFacts:
    """As the importer stores a patient whose language the export left blank."""
    return patient(language, language_confirmed=False, proposed_anchor_day=10)


def _yes(language: str) -> str:
    return {"en": "yes", "es": "sí"}.get(language) or PHRASES[language]["yes"]


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) | set(MORE_LANGUAGES)))
def test_golden_language_menu_before_the_invitation(language: str) -> None:
    """The invitation waits for the menu; then it comes in the chosen language."""
    position = [tag for tag, _ in i18n.offered_languages()].index(language) + 1
    case = Case(
        "language_menu",
        [Start("enrollment", {"patient_id": 1}), Text(str(position)), Text(_yes(language))],
        patients=(_unknown(),),
        note=f"language unknown; the patient picks {language} by its number",
    )
    check(case, language)


def test_golden_language_menu_when_the_patient_writes_first() -> None:
    case = Case(
        "language_menu_patient_writes_first",
        texts("hello", "中文", "是"),
        patients=(_unknown(),),
        note="a language's name works as well as its number",
    )
    check(case, "en")


def test_golden_language_menu_unclear_twice() -> None:
    case = Case(
        "language_menu_unclear",
        [Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR}), *texts("what?", "🤷")],
        patients=(replace(_unknown(), **ENROLLED),),  # type: ignore[arg-type]
        note="asked again once, then English and a call from staff",
    )
    check(case, "en")
