"""A call's side of a turn: the dialogs' replies said as TwiML, in the patient's language.

Which voice says it and which recognizer listens come from locales/voice.toml. A language
with no voice there is said in the closest one that has one (keypad only); the call notes it
for staff. Questions get their voice instruction ("Say yes or press 1") from
voice_instructions.py; the first question of a call also says which keys work at any time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.channels import voice_instructions as said
from bot.languages.catalogs import LOCALES, registry_tag, render
from dialogs.turn import Ask, Param, Reply, Say

VOICE_FILE = LOCALES / "voice.toml"
# language-[Script-]REGION: "en-US", "es-419", "zh-Hans-CN". Twilio refuses a bare "en".
_FULL_TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?-([A-Z]{2}|[0-9]{3})$")


class VoiceConfigError(ValueError):
    """locales/voice.toml says something a call cannot use: the sentence says what."""


@dataclass(frozen=True)
class Voice:
    say_language: str
    voice: str
    speech: bool
    gather: str | None


@dataclass(frozen=True)
class Speaker:
    """How one call speaks and listens."""

    language: str  # the catalog the prompts are said from
    say_language: str
    voice: str
    speech: bool  # False: keypad only
    gather: str | None
    # Not the patient's own language: said in the closest one with a voice, keypad only.
    stand_in: bool = False


@dataclass(frozen=True)
class VoiceBook:
    voices: Mapping[str, Voice]
    fallback: Mapping[str, str]


def read_voice_book(path: Path = VOICE_FILE) -> VoiceBook:
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise VoiceConfigError(f"{path.name} cannot be read: {error}") from None
    tables = raw.get("voice", {})
    if not isinstance(tables, dict) or not tables:
        raise VoiceConfigError(f"{path.name} has no [voice.<language>] tables.")
    voices = {str(tag): _voice(str(tag), entry) for tag, entry in tables.items()}
    fallback = {str(k): str(v) for k, v in dict(raw.get("fallback", {})).items()}
    fallback.setdefault("default", "en")
    for tag, target in fallback.items():
        if target not in voices:
            raise VoiceConfigError(
                f"{path.name}: [fallback] {tag} = {target!r}, which has no [voice.{target}] table."
            )
    return VoiceBook(voices=voices, fallback=fallback)


def _voice(tag: str, entry: Any) -> Voice:
    if not isinstance(entry, dict):
        raise VoiceConfigError(f"voice.toml: [voice.{tag}] must be a table.")
    say_language = str(entry.get("say_language", ""))
    voice = str(entry.get("voice", ""))
    speech = bool(entry.get("speech", False))
    gather = entry.get("gather")
    if not _FULL_TAG.match(say_language) or not voice:
        raise VoiceConfigError(
            f"voice.toml: [voice.{tag}] needs say_language as a full tag like en-US "
            f"(got {say_language!r}) and a voice."
        )
    if speech and (not isinstance(gather, str) or not _FULL_TAG.match(gather)):
        raise VoiceConfigError(
            f"voice.toml: [voice.{tag}] listens to speech, so gather must be a full BCP 47 "
            f"tag with a region like en-US or es-US (got {gather!r}); Twilio rejects a bare "
            "language."
        )
    return Voice(say_language, voice, speech, str(gather) if speech else None)


@lru_cache
def voice_book() -> VoiceBook:
    return read_voice_book()


def speaker_for(language: str | None, book: VoiceBook | None = None) -> Speaker:
    """The patient's own voice if locales/voice.toml has it ("es-MX" finds "es", "zh-TW" finds
    "zh-Hant" through the language registry's aliases), else the closest language that has
    one, keypad only."""
    book = book or voice_book()
    tag = registry_tag(language) or language or "en"
    subtags = tag.replace("_", "-").split("-")
    while subtags:
        found = book.voices.get("-".join(subtags))
        if found is not None:
            name = "-".join(subtags)
            return Speaker(name, found.say_language, found.voice, found.speech, found.gather)
        subtags.pop()
    base = tag.split("-")[0]
    target = book.fallback.get(tag) or book.fallback.get(base) or book.fallback["default"]
    stand_in = book.voices[target]
    return Speaker(target, stand_in.say_language, stand_in.voice, False, None, stand_in=True)


# ---------------------------------------------------------------------- sentences


def sentences(
    replies: Sequence[Reply],
    speaker: Speaker,
    defaults: Mapping[str, Param],
    tell_keys: bool = False,
) -> list[str]:
    """Every reply as said on a call: the voice wording where texts speak of texting, and
    each question followed by how to answer it on the phone."""
    lines: list[str] = []
    for reply in replies:
        params = {**defaults, **reply.params}
        lines.append(_say(said.SAID_INSTEAD.get(reply.msgid, reply.msgid), params, speaker))
        if not isinstance(reply, Ask):
            continue
        instruction = said.answer_instruction(reply, speaker.speech)
        if instruction:
            lines.append(_say(instruction, params, speaker))
        if reply.expects in ("choice", "option"):
            key_line = said.OPTION_KEY if reply.expects == "option" else said.CHOICE_KEY
            for key, name in enumerate(reply.choices, start=1):
                lines.append(_say(key_line, {"name": name, "key": key}, speaker))
        keys = said.keys(reply, speaker.speech) if tell_keys or reply.opt_out_notice else None
        if keys:
            lines.append(_say(keys, params, speaker))
    return lines


def _say(msgid: str, params: Mapping[str, Param], speaker: Speaker) -> str:
    return render(Say(msgid, dict(params)), speaker.language)


# ---------------------------------------------------------------------- what follows the words


@dataclass(frozen=True)
class Listen:
    """A <Gather>: one key, a day (up to two digits, then #), or a number (any digits, ended
    by # or the Gather timeout)."""

    action: str
    day: bool = False
    hints: tuple[str, ...] = ()
    number: bool = False


@dataclass(frozen=True)
class Transfer:
    """A <Dial> to the pharmacy; `action` hears whether anyone answered."""

    number: str
    action: str
    timeout: int = 25


@dataclass(frozen=True)
class TakeMessage:
    """A <Record>: `after` is said if no message was left (Twilio goes on to the next verb)."""

    action: str
    recording_callback: str
    max_length: int = 120
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class HangUp:
    pass


Then = Listen | Transfer | TakeMessage | HangUp


def twiml(speaker: Speaker, lines: Sequence[str], then: Then, gather_timeout: int = 5) -> str:
    response = VoiceResponse()
    if isinstance(then, Listen):
        gather = _gather(response, speaker, then, gather_timeout)
        for line in lines:
            gather.say(line, language=speaker.say_language, voice=speaker.voice)
        return str(response)
    for line in lines:
        response.say(line, language=speaker.say_language, voice=speaker.voice)
    match then:
        case Transfer() if then.action:
            response.dial(then.number, action=then.action, method="POST", timeout=then.timeout)
        case Transfer():
            # No action: when the transfer ends, so does the call.
            response.dial(then.number, timeout=then.timeout)
            response.hangup()
        case TakeMessage():
            response.record(
                action=then.action,
                method="POST",
                max_length=then.max_length,
                finish_on_key="#",
                play_beep=True,
                timeout=5,
                recording_status_callback=then.recording_callback,
                recording_status_callback_method="POST",
                recording_status_callback_event="completed",
            )
            for line in then.after:
                response.say(line, language=speaker.say_language, voice=speaker.voice)
            response.hangup()
        case HangUp():
            response.hangup()
    return str(response)


def _gather(response: VoiceResponse, speaker: Speaker, then: Listen, timeout: int) -> Gather:
    attributes: dict[str, Any] = {
        "input": "dtmf speech" if speaker.speech else "dtmf",
        "action": then.action,
        "method": "POST",
        "timeout": timeout,
        "action_on_empty_result": True,
    }
    if then.day:
        attributes |= {"num_digits": 2, "finish_on_key": "#"}
    elif then.number:
        # No numDigits: Twilio collects keys until # (not part of Digits) or `timeout` seconds
        # without a key, so "12#" and "12" then silence both answer 12.
        attributes["finish_on_key"] = "#"
    else:
        attributes["num_digits"] = 1
    if speaker.speech:
        attributes |= {"language": speaker.gather, "speech_timeout": "auto"}
        if then.hints:
            attributes["hints"] = ", ".join(then.hints)
    gather: Gather = response.gather(**attributes)
    return gather


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def not_in_service() -> str:
    """For a call to a number no pharmacy owns: a sentence, then hang up."""
    response = VoiceResponse()
    response.say("Sorry, this number is not in service.", language="en-US")
    response.hangup()
    return str(response)
