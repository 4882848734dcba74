"""What a call says and how it listens, without a database: locales/voice.toml, the voice
wording of each kind of question, the TwiML verbs, and the keypad keys in the dialog engine."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.channels import voice_instructions as said
from bot.channels.voice_twiml import (
    HangUp,
    Listen,
    Speaker,
    TakeMessage,
    Transfer,
    VoiceConfigError,
    read_voice_book,
    sentences,
    speaker_for,
    twiml,
    voice_book,
)
from bot.languages import catalogs as i18n
from dialogs import engine, prompts
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, Digits, RecordConsent, Say, SetEnrollment
from tests.voice.calling import Heard

ENGLISH = speaker_for("en")
SPANISH = speaker_for("es")
KEYPAD_ONLY = speaker_for("ht")  # Haitian Creole: no voice, no recognizer
DEFAULTS = {"pharmacy": "Main Street Pharmacy", "pharmacy_phone": "(212) 555-0199"}
EN = '[voice.en]\nsay_language = "en-US"\nvoice = "Polly.Joanna"\n'
FULL_TAG = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?-([A-Z]{2}|[0-9]{3})$"


# ------------------------------------------------------------------ locales/voice.toml


def test_every_voice_has_full_bcp47_tags_and_a_voice() -> None:
    book = voice_book()
    assert {"en", "es"} <= set(book.voices)
    for tag, voice in book.voices.items():
        assert voice.voice, tag
        assert re.match(FULL_TAG, voice.say_language), tag
        if voice.speech:
            assert voice.gather and re.match(FULL_TAG, voice.gather), tag
    assert book.voices["en"].gather == "en-US" and book.voices["es"].gather == "es-US"
    assert book.fallback["default"] in book.voices


@pytest.mark.parametrize(
    "table, problem",
    [
        (EN + 'speech = true\ngather = "en"\n', "full BCP 47"),
        (EN + "speech = true\n", "full BCP 47"),
        ('[voice.en]\nsay_language = "en"\nvoice = "Polly.Joanna"\n', "full tag"),
        ('[voice.en]\nsay_language = "en-US"\nvoice = ""\n', "a voice"),
        (EN + '[fallback]\nht = "fr"\n', "no [voice.fr] table"),
        ("", "no [voice.<language>] tables"),
        ("[voice.en\n", "cannot be read"),
    ],
)  # fmt: skip
def test_a_voice_file_mistake_is_refused_with_a_sentence(
    tmp_path: Path, table: str, problem: str
) -> None:
    path = tmp_path / "voice.toml"
    path.write_text(table)
    with pytest.raises(VoiceConfigError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        read_voice_book(path)


def test_speakers_for_patients_languages() -> None:
    assert (ENGLISH.language, ENGLISH.gather, ENGLISH.voice) == ("en", "en-US", "Polly.Joanna")
    assert (SPANISH.language, SPANISH.gather, SPANISH.voice) == ("es", "es-US", "Polly.Lupe")
    assert speaker_for("es-MX") == SPANISH  # a regional tag finds its language
    assert speaker_for(None) == ENGLISH
    assert speaker_for("fr") == KEYPAD_ONLY  # no table and no fallback entry: the default
    assert speaker_for("zh-TW").language == "zh-Hant"  # an alias in locales/languages.toml
    # No voice for Haitian Creole: said in English, keys only, and the call notes it for staff.
    assert Speaker("en", "en-US", "Polly.Joanna", False, None, stand_in=True) == KEYPAD_ONLY


# ------------------------------------------------------------------ how each question is said


@pytest.mark.parametrize(
    "ask, speech, keypad",
    [
        (Ask(prompts.ENROLL_REASK, expects="yes_no"), said.YES_NO, said.YES_NO_KEYPAD),
        (Ask(prompts.ANCHOR_ASK, {"day": 15}, expects="day"), said.DAY_OR_SUGGESTED,
         said.DAY_KEYPAD),
        (Ask(prompts.ANCHOR_REASK, expects="day"), said.DAY, said.DAY_KEYPAD),
        (Ask(prompts.Q_ANYTHING_ELSE, expects="text_or_no"), said.TEXT_OR_NO,
         said.TEXT_OR_NO_KEYPAD),
        (Ask(prompts.Q_STILL_COMING, {"date": dt.date(2026, 12, 15)}, expects="date_confirm"),
         said.DATE_CONFIRM, said.DATE_CONFIRM_KEYPAD),
    ],
)  # fmt: skip
def test_every_question_says_its_keys(ask: Ask, speech: str, keypad: str) -> None:
    spoken = sentences([ask], ENGLISH, DEFAULTS)
    keyed = sentences([ask], KEYPAD_ONLY, DEFAULTS)
    assert spoken[1] == i18n.render(Say(speech, ask.params), "en")
    assert keyed[1] == i18n.render(Say(keypad, ask.params), "en")
    assert "press" in spoken[1] and "press" in keyed[1].lower()
    assert all("%(" not in line for line in spoken + keyed)


def test_a_choice_names_each_key_and_the_keys_are_told_once() -> None:
    ask = Ask(prompts.WHO_ASK, {"names": ("Robert", "Linda")}, expects="choice",
              choices=("Robert", "Linda"))  # fmt: skip
    lines = sentences([ask], ENGLISH, DEFAULTS, tell_keys=True)
    assert lines[1:] == [
        "Say the first name, or use the keypad.",
        "For Robert, press 1.",
        "For Linda, press 2.",
        "At any time, say pharmacist or press 0 to reach the pharmacy. "
        "To stop our calls and texts, say stop or press 9.",
    ]
    day = Ask(prompts.ANCHOR_REASK, expects="day")
    assert sentences([day], ENGLISH, DEFAULTS, tell_keys=True)[-1] == (
        "At any time, say pharmacist or press 0 to reach the pharmacy. "
        "To stop our calls and texts, say stop."
    )  # in a day question 9 is the ninth


def test_an_opt_out_notice_is_said_with_outreach() -> None:
    offer = Ask(prompts.ENROLL_OFFER, {"first_name": "Ana", **DEFAULTS}, opt_out_notice=True)
    assert "press 9" in sentences([offer], ENGLISH, DEFAULTS)[-1]
    assert "marque 9" in sentences([offer], SPANISH, DEFAULTS)[-1]


@pytest.mark.parametrize("msgid", sorted(said.SAID_INSTEAD))
@pytest.mark.parametrize("speaker", [ENGLISH, SPANISH], ids=["en", "es"])
def test_no_call_tells_the_patient_to_reply_by_text(msgid: str, speaker: Speaker) -> None:
    params = {"date": dt.date(2026, 12, 15), "first_name": "Ana", **DEFAULTS}
    [line] = sentences([Say(msgid, params)], speaker, DEFAULTS)
    for texting in ("Reply", "reply", "text us", "Responda", "escríbanos", "AYUDA"):
        assert texting not in line
    assert "%(" not in line and line


def test_voice_sentences_are_translated_in_every_language_with_a_voice() -> None:
    ids = {v for k, v in vars(said).items() if k.isupper() and isinstance(v, str)}
    for language in voice_book().voices:
        if language == "en":
            continue
        missing = [m for m in ids if i18n.translations(language).gettext(m) == m]
        assert missing == [], language


# ------------------------------------------------------------------ the TwiML verbs


def test_a_day_question_waits_for_two_digits_or_the_pound_key() -> None:
    root = ET.fromstring(twiml(SPANISH, ["¿Qué día?"], Listen("https://x/a?step=2", day=True)))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib == {
        "input": "dtmf speech",
        "action": "https://x/a?step=2",
        "method": "POST",
        "timeout": "5",
        "actionOnEmptyResult": "true",
        "numDigits": "2",
        "finishOnKey": "#",
        "language": "es-US",
        "speechTimeout": "auto",
    }
    [say] = list(gather)
    assert (say.tag, say.text, say.get("language"), say.get("voice")) == (
        "Say", "¿Qué día?", "es-US", "Polly.Lupe",
    )  # fmt: skip


def test_transfer_message_and_hang_up_verbs() -> None:
    dial = Heard.of(twiml(ENGLISH, ["Connecting."], Transfer("+12125550199", "https://x/a")))
    assert dial.verbs == ["Say", "Dial"]
    element = dial.root.find("Dial")
    assert element is not None and element.text == "+12125550199"
    assert element.get("action") == "https://x/a" and element.get("timeout") == "25"
    record = Heard.of(
        twiml(ENGLISH, ["Leave it."], TakeMessage("https://x/a", "https://x/r", 60, ("Bye.",)))
    )
    assert record.verbs == ["Say", "Record", "Say", "Hangup"]
    element = record.root.find("Record")
    assert element is not None
    assert element.get("recordingStatusCallback") == "https://x/r"
    assert element.get("maxLength") == "60" and element.get("playBeep") == "true"
    assert Heard.of(twiml(ENGLISH, [], HangUp())).verbs == ["Hangup"]
    escaped = Heard.of(twiml(ENGLISH, ["<Hangup/> & more"], HangUp()))
    assert escaped.verbs == ["Say", "Hangup"] and escaped.says == ["<Hangup/> & more"]


# ------------------------------------------------------------------ keypad keys in the engine


def _ctx(**facts: object) -> Context:
    patient = PatientFacts(id=7, first_name="Dorothy", **facts)  # type: ignore[arg-type]
    return Context(
        today=dt.date(2026, 11, 29),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(patient,),
        vocab=i18n.vocabulary_for("en"),
    )


def test_keypad_9_opts_out_with_the_keys_as_the_wording() -> None:
    turn = engine.step(State(dialog="enrollment", step="consent", subject=7), Digits("9"), _ctx())
    assert [r.msgid for r in turn.replies] == [prompts.STOP_CONFIRMED]
    assert turn.effects == (RecordConsent(7, "opt_out", "keypad 9 (stop)", None),)
    assert turn.state.dialog is None


def test_keypad_9_is_the_ninth_in_a_day_question() -> None:
    state = State(dialog="anchor", step="day", subject=7)
    turn = engine.step(state, Digits("9"), _ctx(enrollment="consented"))
    enrollment = next(e for e in turn.effects if isinstance(e, SetEnrollment))
    assert enrollment.anchor_day == 9
    assert not any(isinstance(e, RecordConsent) for e in turn.effects)


def test_keypad_0_asks_for_a_pharmacist_and_keeps_the_question() -> None:
    for state in (
        State(dialog="enrollment", step="consent", subject=7),
        State(dialog="anchor", step="day", subject=7),
    ):
        turn = engine.step(state, Digits("0"), _ctx(enrollment="consented"))
        assert turn.replies[0].msgid == prompts.PHARMACIST_CALLBACK
        assert isinstance(turn.replies[-1], Ask)
        assert turn.state == state
        assert [e.kind for e in turn.effects] == ["call_back"]  # type: ignore[union-attr]


def test_keys_do_nothing_for_a_patient_who_opted_out() -> None:
    turn = engine.step(State(), Digits("9"), _ctx(opted_out=True))
    assert turn.replies == () and turn.effects == ()
