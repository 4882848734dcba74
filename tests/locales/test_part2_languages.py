"""Russian, Arabic, Tagalog and Haitian Creole: what patients type is understood, and what
MedSync writes back reads the patient's way.

Parsing goes through `bot.languages.catalogs.vocabulary_for`, the vocabulary the runtime hands
the dialogs:
the patient's own words, English, and everyone's opt-out words and language names.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.channels import instructions
from bot.channels.sms_text import compose
from bot.languages import catalogs as i18n
from dialogs import engine, prompts
from dialogs.context import Context, PatientFacts
from dialogs.parse import (
    asks_for_pharmacist,
    is_keyword,
    language_choice,
    normalize,
    number,
    sounds_like_revocation,
    yes_or_no,
)
from dialogs.state import State
from dialogs.turn import Ask, Param, RecordConsent, Say, SetLanguage, Text

LANGUAGES = ["ru", "ar", "tl", "ht"]
PICKUP = dt.date(2026, 12, 15)  # a Tuesday
TODAY = dt.date(2026, 11, 29)

# ------------------------------------------------------------------ yes and no


YES_NO = [
    # Russian, in Cyrillic and as typed on a phone without a Cyrillic keyboard
    ("ru", "Да", True),
    ("ru", "да, конечно", True),
    ("ru", "ДА!", True),
    ("ru", "ага", True),
    ("ru", "да было", True),
    ("ru", "da", True),
    ("ru", "Нет", False),
    ("ru", "нет, спасибо", False),
    ("ru", "не было", False),
    ("ru", "да нет", False),  # "not really": the idiom, not a contradiction
    ("ru", "net", False),
    ("ru", "не знаю", None),
    ("ru", "может быть", None),
    # Arabic, with and without hamza and harakat, and in Arabizi
    ("ar", "نعم", True),
    ("ar", "نَعَم", True),
    ("ar", "أيوه", True),
    ("ar", "ايوة", True),
    ("ar", "نعم شكرا", True),
    ("ar", "na3am", True),
    ("ar", "Aywa", True),
    ("ar", "لا", False),
    ("ar", "لأ", False),
    ("ar", "لا، شكراً", False),
    ("ar", "أبداً", False),
    ("ar", "la2", False),
    ("ar", "ربما", None),
    # Tagalog, with the polite "po" patients add
    ("tl", "Oo", True),
    ("tl", "opo", True),
    ("tl", "oo po", True),
    ("tl", "Sige po", True),
    ("tl", "pwede ba sa 18 na lang?", None),  # "can I...?" asks, it does not agree
    ("tl", "gusto ko po sa 18", None),
    ("tl", "Hindi", False),
    ("tl", "hindi po", False),
    ("tl", "wala po", False),
    ("tl", "hindi na, salamat", False),
    ("tl", "siguro", None),
    # Haitian Creole, with and without accents, and French spellings
    ("ht", "Wi", True),
    ("ht", "wi mèsi", True),
    ("ht", "Dakò", True),
    ("ht", "dako", True),
    ("ht", "oui", True),
    ("ht", "Non", False),
    ("ht", "non mèsi", False),
    ("ht", "pa gen anyen", False),
    ("ht", "pa janm", False),
    ("ht", "petèt", None),
]


@pytest.mark.parametrize(("language", "text", "expected"), YES_NO)
def test_yes_and_no(language: str, text: str, expected: bool | None) -> None:
    assert yes_or_no(text, i18n.vocabulary_for(language)) is expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_english_yes_and_no_still_work(language: str) -> None:
    vocab = i18n.vocabulary_for(language)
    assert yes_or_no("YES", vocab) is True
    assert yes_or_no("no thanks", vocab) is False


# ------------------------------------------------------------------ days of the month


DAYS = [
    # digits, in every script patients type them
    ("ru", "15", 15),
    ("ru", "15-е", 15),
    ("ru", "15-го числа", 15),
    ("ru", "пятнадцатое", 15),
    ("ru", "пятнадцатое число каждого месяца", 15),
    ("ru", "Пятнадцатого, пожалуйста", 15),
    ("ru", "двадцать пятое", 25),
    ("ru", "двадцать восемь", 28),
    ("ru", "третье", 3),
    ("ru", "тридцать первое", 31),
    ("ar", "15", 15),
    ("ar", "١٥", 15),
    ("ar", "يوم ١٥", 15),
    ("ar", "۱۵", 15),  # Eastern Arabic-Indic (Persian, Urdu keyboards)
    ("ar", "خمسة عشر", 15),
    ("ar", "خمسه عشر", 15),
    ("ar", "الخامس عشر", 15),
    ("ar", "خمستاشر", 15),
    ("ar", "يوم خمستاشر من فضلك", 15),
    ("ar", "عشرين", 20),
    ("ar", "خمسة وعشرين", 25),
    ("ar", "خمسة و عشرين", 25),
    ("ar", "الخامس والعشرين", 25),
    ("ar", "ثلاثة", 3),
    ("tl", "15", 15),
    ("tl", "ika-15", 15),
    ("tl", "sa ika-15 po", 15),
    ("tl", "labinlima", 15),
    ("tl", "labing-lima po", 15),
    ("tl", "ikalabinlima", 15),
    ("tl", "a-kinse", 15),
    ("tl", "kinse po", 15),
    ("tl", "dalawampu't lima", 25),
    ("tl", "bente singko", 25),
    ("tl", "tatlo", 3),
    ("ht", "15", 15),
    ("ht", "jou 15 la", 15),
    ("ht", "kenz", 15),
    ("ht", "jou kenz chak mwa", 15),
    ("ht", "kenzyèm", 15),
    ("ht", "quinze", 15),
    ("ht", "vennsenk", 25),
    ("ht", "ven senk", 25),
    ("ht", "vingt-cinq", 25),
    ("ht", "twa", 3),
    ("ht", "sèt", 7),
]


@pytest.mark.parametrize(("language", "text", "expected"), DAYS)
def test_days_of_the_month(language: str, text: str, expected: int) -> None:
    assert number(text, i18n.vocabulary_for(language)) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "12 или 15"),
        ("ru", "пятое или шестое"),
        ("ar", "١٢ أو ١٥"),
        ("ar", "خمسة أو ستة"),
        ("tl", "lima o anim"),
        ("ht", "senk oswa sis"),
    ],
)
def test_two_different_days_are_not_a_choice(language: str, text: str) -> None:
    assert number(text, i18n.vocabulary_for(language)) is None


def test_an_arabizi_yes_is_not_the_third_of_the_month() -> None:
    assert number("na3am", i18n.vocabulary_for("ar")) is None


# ------------------------------------------------------------------ keywords


OPT_OUT = [
    ("ru", "СТОП"),
    ("ru", " стоп. "),
    ("ru", "Отписаться"),
    ("ru", "хватит"),
    ("ar", "توقف"),
    ("ar", "توقّف"),
    ("ar", "إلغاء"),
    ("ar", "الغاء الاشتراك"),
    ("tl", "TIGIL"),
    ("tl", "tigil na po"),
    ("tl", "Ihinto"),
    ("ht", "RETE"),
    ("ht", "rete."),
    ("ht", "kanpe"),
    ("ht", "sispann"),
]


@pytest.mark.parametrize(("language", "text"), OPT_OUT)
def test_opt_out_words(language: str, text: str) -> None:
    assert is_keyword(text, i18n.vocabulary_for(language).opt_out)


@pytest.mark.parametrize(("language", "text"), OPT_OUT)
def test_opt_out_words_work_whatever_language_is_on_file(language: str, text: str) -> None:
    # The record may be wrong or out of date: a STOP in any language is still a STOP.
    for other in ["en", "es", *LANGUAGES]:
        assert is_keyword(text, i18n.vocabulary_for(other).opt_out), other


@pytest.mark.parametrize(
    ("language", "text"),
    [("ru", "Старт"), ("ar", "اشتراك"), ("tl", "simula"), ("ht", "kòmanse"), ("ht", "START")],
)
def test_opt_in_words(language: str, text: str) -> None:
    assert is_keyword(text, i18n.vocabulary_for(language).opt_in)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Помощь"),
        ("ru", "помогите"),
        ("ar", "مساعدة"),
        ("ar", "مساعده"),
        ("tl", "TULONG"),
        ("tl", "tulong po"),
        ("ht", "èd"),
        ("ht", "ED"),
        ("ht", "HELP"),
    ],
)
def test_help_words(language: str, text: str) -> None:
    assert is_keyword(text, i18n.vocabulary_for(language).help)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "фармацевт"),
        ("ru", "Позвоните мне"),
        ("ru", "мне нужен фармацевт"),
        ("ar", "الصيدلي"),
        ("ar", "اتصلوا بي"),
        ("ar", "أريد التحدث مع الصيدلي"),
        ("tl", "parmasyutiko"),
        ("tl", "pakitawagan po ako"),
        ("ht", "famasyen"),
        ("ht", "rele m tanpri"),
    ],
)
def test_asking_for_a_pharmacist(language: str, text: str) -> None:
    assert asks_for_pharmacist(text, i18n.vocabulary_for(language))


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Пожалуйста, не пишите мне больше"),
        ("ru", "перестаньте присылать сообщения"),
        ("ar", "لا ترسلوا لي رسائل بعد الآن"),
        ("ar", "لا أريد رسائل"),
        ("tl", "huwag na kayong mag-text sa akin"),
        ("tl", "ayoko na ng text"),
        ("ht", "tanpri pa voye m mesaj ankò"),
        ("ht", "pa rele m ankò"),
    ],
)
def test_free_text_that_may_mean_stop_goes_to_staff(language: str, text: str) -> None:
    vocab = i18n.vocabulary_for(language)
    assert sounds_like_revocation(text, vocab)
    assert not asks_for_pharmacist(text, vocab), "a plea to stop calling is not a call-back"


# ------------------------------------------------------------------ switching languages


SWITCH_TO = [
    ("ru", "Русский"),
    ("ru", "по-русски"),
    ("ru", "Russian"),
    ("ru", "ruso"),
    ("ar", "العربية"),
    ("ar", "عربي"),
    ("ar", "Arabic please"),
    ("ar", "árabe"),
    ("tl", "Tagalog"),
    ("tl", "Filipino"),
    ("tl", "tagalo"),
    ("ht", "Kreyòl"),
    ("ht", "kreyol ayisyen"),
    ("ht", "Haitian Creole"),
    ("ht", "criollo haitiano"),
]


@pytest.mark.parametrize(("language", "text"), SWITCH_TO)
def test_language_names_switch_to_the_language(language: str, text: str) -> None:
    for current in ("en", "es"):
        assert language_choice(text, i18n.vocabulary_for(current)) == language


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "English"),
        ("ru", "английский"),
        ("ar", "English"),
        ("ar", "الإنجليزية"),
        ("tl", "english po"),
        ("tl", "Ingles"),
        ("ht", "angle"),
        ("ht", "English"),
    ],
)
def test_back_to_english(language: str, text: str) -> None:
    assert language_choice(text, i18n.vocabulary_for(language)) == "en"


def _context(language: str, **facts: object) -> Context:
    patient = PatientFacts(id=1, first_name="Ana", language=language, **facts)  # type: ignore[arg-type]
    return Context(
        today=TODAY,
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(patient,),
        vocab=i18n.vocabulary_for(language),
    )


@pytest.mark.parametrize(
    ("language", "text", "confirmation"),
    [
        ("ru", "русский", "Хорошо, мы будем писать Вам по-русски."),
        ("ar", "العربية", "حسنًا، سنراسلكم باللغة العربية."),
        ("tl", "Tagalog", "Sige po, susulatan namin kayo sa Tagalog."),
        ("ht", "kreyòl", "Dakò, n ap ekri ou an kreyòl."),
    ],
)
def test_an_english_patient_switches_and_is_told_in_the_new_language(
    language: str, text: str, confirmation: str
) -> None:
    turn = engine.step(State(), Text(text), _context("en", enrollment="active"))
    assert SetLanguage(1, language) in turn.effects
    said = next(r for r in turn.replies if r.msgid == prompts.LANGUAGE_CHANGED)
    assert i18n.render(said, language) == confirmation


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_patient_switches_back_to_english(language: str) -> None:
    turn = engine.step(State(), Text("English"), _context(language, enrollment="active"))
    assert SetLanguage(1, "en") in turn.effects


@pytest.mark.parametrize(("language", "text"), [(lang, t) for lang, t in OPT_OUT])
def test_a_stop_in_the_patients_language_opts_out_through_the_engine(
    language: str, text: str
) -> None:
    turn = engine.step(State(), Text(text), _context(language, enrollment="active"))
    assert [e.kind for e in turn.effects if isinstance(e, RecordConsent)] == ["opt_out"]
    assert [r.msgid for r in turn.replies] == [prompts.STOP_CONFIRMED]


# ------------------------------------------------------------------ no word means two things


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_answer_word_is_anyones_opt_out_word(language: str) -> None:
    """An opt-out word of any language, typed as a yes, a no or a day, would end the service."""
    everyone_stops = i18n.vocabulary_for(language).opt_out
    own = i18n.all_vocabularies()[language]
    answers = own.yes | own.no | own.help | own.pharmacist | frozenset(own.numbers)
    assert answers & everyone_stops == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_opt_in_words_are_not_answers(language: str) -> None:
    """After STOP an opt-in word resubscribes: a "no" must never be one (أبدا vs ابدأ)."""
    own = i18n.all_vocabularies()[language]
    assert own.opt_in & (own.no | own.yes | own.opt_out) == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_names_name_one_language(language: str) -> None:
    ours = set(i18n.all_vocabularies()[language].language_names)
    for other, vocab in i18n.all_vocabularies().items():
        if other != language:
            assert ours & set(vocab.language_names) == set(), other


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_listed_word_is_understood_as_listed(language: str) -> None:
    """A word a filler rule or a longer phrase swallows is a word the vocabulary cannot hear."""
    own = i18n.all_vocabularies()[language]
    vocab = i18n.vocabulary_for(language)
    assert [w for w in own.yes if yes_or_no(w, vocab) is not True] == []
    assert [w for w in own.no if yes_or_no(w, vocab) is not False] == []
    assert [w for w, n in own.numbers.items() if number(w, vocab) != n] == []
    assert [w for w in own.language_names if language_choice(w, vocab) != language] == []
    assert [w for w in own.pharmacist if not asks_for_pharmacist(w, vocab)] == []


# ------------------------------------------------------------------ what patients read

DATES = {
    "ru": "вторник, 15 декабря 2026\u202fг.",  # CLDR keeps "г." on the year's line
    "ar": "الثلاثاء، 15 ديسمبر 2026",
    "tl": "Martes, Disyembre 15, 2026",
}


@pytest.mark.parametrize(("language", "written"), sorted(DATES.items()))
def test_dates_are_written_the_patients_way(language: str, written: str) -> None:
    assert i18n.format_date(PICKUP, language) == written
    ready = i18n.render(Say(prompts.CHECK_IN_READY, {"date": PICKUP}), language)
    assert written in ready


# Babel's CLDR data for "ht" is a stub (no month or weekday names, an English "or"): the
# registry (locales/languages.toml) carries them.
def test_haitian_creole_dates_are_not_cldr_placeholders() -> None:
    written = i18n.format_date(PICKUP, "ht")
    assert "M12" not in written and "Tue" not in written
    assert "desanm" in written.casefold() and "15" in written


def test_haitian_creole_lists_say_oswa() -> None:
    text = i18n.render(Say(prompts.WHO_ASK, {"names": ("Robert", "Linda")}), "ht")
    assert "Robert oswa Linda" in text


SCRIPTS = {
    "ru": re.compile("[\u0400-\u04ff]"),
    "ar": re.compile("[\u0600-\u06ff]"),
    "tl": re.compile("[a-z]"),
    "ht": re.compile("[a-zèò]"),
}
SAMPLE: dict[str, Param] = {
    "first_name": "Ana",
    "pharmacy": "Main Street Pharmacy",
    "pharmacy_phone": "(212) 555-0199",
    "hours": "9-7",
    "day": 15,
    "date": PICKUP,
    "names": ("Robert", "Linda"),
    "everyone": ("Robert", "Linda"),  # households
    "years": ("1944", "1947"),
    "options": ("Better", "Worse"),
    "name": "Robert",
    "key": 1,
    "choices": "1 English, 2 Русский",
    "phone": "(617) 555-0199",  # caregivers
    "phones": "(617) 555-0199",
    "patient": "Ana",
    "prorated": "$18.40",  # preferences and cost disclosure
    "usual": "$30.00",
    "medicines": "Lisinopril 10 mg tablet",
    "count": 2,  # the visits before the first synced pickup (issue 16)
}


def _msgids() -> list[str]:
    from babel.messages.pofile import read_po

    with (i18n.LOCALES / "messages.pot").open("rb") as f:
        return sorted(m.id for m in read_po(f) if m.id and isinstance(m.id, str))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_renders_translated(language: str) -> None:
    untranslated = []
    for msgid in _msgids():
        params = {k: v for k, v in SAMPLE.items() if f"%({k})s" in msgid}
        text = i18n.render(Say(msgid, params), language)
        assert "%(" not in text and text.strip(), msgid
        if text == msgid % params or not SCRIPTS[language].search(text.casefold()):
            untranslated.append(msgid)
    assert untranslated == []


# Every keyword a catalog tells patients to type, and what the vocabulary must make of it.
KEYWORDS = {
    "ru": {"yes": "ДА", "no": "НЕТ", "stop": "СТОП", "help": "ПОМОЩЬ"},
    "ar": {"yes": "نعم", "no": "لا", "stop": "توقف", "help": "مساعدة"},
    "tl": {"yes": "OO", "no": "HINDI", "stop": "TIGIL", "help": "TULONG"},
    "ht": {"yes": "WI", "no": "NON", "stop": "RETE", "help": "ED"},
}
TOLD = [
    (instructions.SMS_YES_NO, ("yes", "no")),
    (instructions.SMS_TEXT_OR_NO, ("no",)),
    (instructions.SMS_DATE_CONFIRM, ("yes",)),
    (instructions.SMS_DAY_OR_SUGGESTED, ("yes",)),
    (instructions.SMS_OPT_OUT, ("stop",)),
    (prompts.POSSIBLE_OPT_OUT, ("stop",)),
    (prompts.START_CONFIRMED, ("help", "stop")),
    (prompts.HELP, ("stop",)),
    (prompts.NEXT_PICKUP, ("help",)),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_keywords_a_text_names_are_the_ones_we_understand(language: str) -> None:
    vocab = i18n.vocabulary_for(language)
    words = KEYWORDS[language]
    understood = {
        "yes": yes_or_no(words["yes"], vocab) is True,
        "no": yes_or_no(words["no"], vocab) is False,
        "stop": is_keyword(words["stop"], vocab.opt_out),
        "help": is_keyword(words["help"], vocab.help),
    }
    assert all(understood.values()), understood
    for msgid, kinds in TOLD:
        params = {k: v for k, v in SAMPLE.items() if f"%({k})s" in msgid}
        padded = f" {normalize(i18n.render(Say(msgid, params), language))} "
        for kind in kinds:
            assert f" {normalize(words[kind])} " in padded, (msgid, kind)


@pytest.mark.parametrize("language", LANGUAGES)
def test_start_stays_in_latin_letters(language: str) -> None:
    # After a carrier-level STOP only START (or another of Twilio's words) lifts the block.
    text = i18n.render(Say(prompts.STOP_CONFIRMED, {"pharmacy": "Main Street Pharmacy"}), language)
    assert "START" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_check_in_opener_fits_the_languages_segment_limit(language: str) -> None:
    from bot.languages.segments import count

    base = {k: SAMPLE[k] for k in ("first_name", "pharmacy", "pharmacy_phone")}
    opener = compose(
        [
            Say(prompts.CHECK_IN_INTRO, {**base, "date": PICKUP}),
            Ask(prompts.Q_HOSPITAL, {}, expects="yes_no"),
        ],
        language,
        automated=True,
    )
    assert count(opener).count <= i18n.registry()[language].max_segments, opener
