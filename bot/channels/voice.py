"""The voice webhooks: Twilio's signed forms in, TwiML out.

The routes read each signed form into a `CallForm` and hand it to the app's `CallHandler`
(the call desk, bot/outreach/call_desk.py, installed by the app factory as app.state.calls).

POST /twilio/voice             a patient calls the pharmacy's number
POST /twilio/voice/outbound    a call we placed was answered (person, machine or fax)
POST /twilio/voice/answer      every Gather, Dial and Record action, with ?call=&step=
POST /twilio/voice/status      call status callbacks (204)
POST /twilio/voice/recording   a message left after the tone is ready (204)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from bot.channels.twilio_webhook import SignedForm, form_int, in_lane, settings_of
from bot.settings import Settings

router = APIRouter()
TWIML = "application/xml"


@dataclass(frozen=True)
class CallForm:
    """The parameters of one Twilio voice request that matter here."""

    call_sid: str
    from_: str = ""
    to: str = ""
    call_status: str = ""
    answered_by: str = ""
    digits: str = ""
    speech: str = ""
    confidence: float | None = None
    dial_status: str = ""
    recording_sid: str = ""
    recording_url: str = ""
    recording_status: str = ""
    recording_duration: int | None = None
    duration: int | None = None

    @classmethod
    def of(cls, form: Mapping[str, str]) -> CallForm:
        def clean(key: str) -> str:
            return form.get(key, "").replace("\x00", "").strip()

        return cls(
            call_sid=clean("CallSid")[:64],
            from_=clean("From"),
            to=clean("To"),
            call_status=clean("CallStatus"),
            answered_by=clean("AnsweredBy")[:32],
            digits=clean("Digits"),
            speech=clean("SpeechResult"),
            confidence=_number(clean("Confidence"), float),
            dial_status=clean("DialCallStatus"),
            recording_sid=clean("RecordingSid")[:64],
            recording_url=clean("RecordingUrl"),
            recording_status=clean("RecordingStatus"),
            recording_duration=_number(clean("RecordingDuration"), int),
            duration=_number(clean("CallDuration"), int),
        )


def _number(raw: str, kind: type[int] | type[float]) -> Any:
    if kind is int:
        return form_int(raw)  # a 32-bit column: a larger number is no number
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


class CallHandler(Protocol):
    def incoming(self, form: CallForm, base: str) -> str:
        """A patient calls the pharmacy's number."""
        ...

    def answered(self, call_id: int | None, form: CallForm, base: str) -> str:
        """A call we placed was picked up (a person, a machine or a fax)."""
        ...

    def respond(self, form: CallForm, step: int, base: str) -> str:
        """A Gather, Dial or Record action of a call, for the step it answers."""
        ...

    def status(self, form: CallForm, call_id: int | None) -> None:
        """A call status callback."""
        ...

    def recording(self, form: CallForm) -> None:
        """A message left after the tone is ready."""
        ...


async def desk_of(request: Request) -> CallHandler:
    """The app's call desk (tests may put another one in app.state.calls)."""
    desk: CallHandler = request.app.state.calls
    return desk


def base_url(request: Request, settings: Settings) -> str:
    """Where Twilio reaches us: action URLs are built on the address it signs."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


Desk = Annotated[CallHandler, Depends(desk_of)]
AppSettings = Annotated[Settings, Depends(settings_of)]


def _int(raw: str | None) -> int | None:
    return form_int(raw)


@router.post("/twilio/voice")
async def incoming_call(
    form: SignedForm, desk: Desk, settings: AppSettings, request: Request
) -> Response:
    twiml = await in_lane(request, desk.incoming, CallForm.of(form), base_url(request, settings))
    return Response(content=twiml, media_type=TWIML)


@router.post("/twilio/voice/outbound")
async def outbound_answered(
    form: SignedForm, desk: Desk, settings: AppSettings, request: Request
) -> Response:
    call_id = _int(request.query_params.get("call"))
    twiml = await in_lane(
        request, desk.answered, call_id, CallForm.of(form), base_url(request, settings)
    )
    return Response(content=twiml, media_type=TWIML)


@router.post("/twilio/voice/answer")
async def answer(form: SignedForm, desk: Desk, settings: AppSettings, request: Request) -> Response:
    # A missing or odd step is answered with the call's current TwiML, like an old one.
    step = _int(request.query_params.get("step"))
    at = -1 if step is None else step
    twiml = await in_lane(request, desk.respond, CallForm.of(form), at, base_url(request, settings))
    return Response(content=twiml, media_type=TWIML)


@router.post("/twilio/voice/status", status_code=204)
async def call_status(form: SignedForm, desk: Desk, request: Request) -> Response:
    call_id = _int(request.query_params.get("call"))
    await run_in_threadpool(desk.status, CallForm.of(form), call_id)
    return Response(status_code=204)


@router.post("/twilio/voice/recording", status_code=204)
async def recording_ready(form: SignedForm, desk: Desk) -> Response:
    await run_in_threadpool(desk.recording, CallForm.of(form))
    return Response(status_code=204)
