"""The voice webhooks: Twilio's signed forms in, TwiML out (bot/calls.py does the work).

POST /twilio/voice             a patient calls the pharmacy's number
POST /twilio/voice/outbound    a call we placed was answered (person, machine or fax)
POST /twilio/voice/answer      every Gather, Dial and Record action, with ?call=&step=
POST /twilio/voice/status      call status callbacks (204)
POST /twilio/voice/recording   a message left after the tone is ready (204)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from bot.channels.twilio_webhook import SignedForm, form_int, settings_of
from bot.conversation.calls import CallDesk, CallForm
from bot.settings import Settings
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings

router = APIRouter()
TWIML = "application/xml"


def desk_of(request: Request) -> CallDesk:
    """The app's call desk, made on first use (tests may set app.state.calls beforehand)."""
    state = request.app.state
    desk: CallDesk | None = getattr(state, "calls", None)
    if desk is None:
        desk = CallDesk(state.runtime, VoiceSettings(), OutreachSettings())
        state.calls = desk
    return desk


def base_url(request: Request, settings: Settings) -> str:
    """Where Twilio reaches us: action URLs are built on the address it signs."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


Desk = Annotated[CallDesk, Depends(desk_of)]
AppSettings = Annotated[Settings, Depends(settings_of)]


def _int(raw: str | None) -> int | None:
    return form_int(raw)


@router.post("/twilio/voice")
async def incoming_call(
    form: SignedForm, desk: Desk, settings: AppSettings, request: Request
) -> Response:
    twiml = await run_in_threadpool(desk.incoming, CallForm.of(form), base_url(request, settings))
    return Response(content=twiml, media_type=TWIML)


@router.post("/twilio/voice/outbound")
async def outbound_answered(
    form: SignedForm, desk: Desk, settings: AppSettings, request: Request
) -> Response:
    call_id = _int(request.query_params.get("call"))
    twiml = await run_in_threadpool(
        desk.answered, call_id, CallForm.of(form), base_url(request, settings)
    )
    return Response(content=twiml, media_type=TWIML)


@router.post("/twilio/voice/answer")
async def answer(form: SignedForm, desk: Desk, settings: AppSettings, request: Request) -> Response:
    # A missing or odd step is answered with the call's current TwiML, like an old one.
    step = _int(request.query_params.get("step"))
    twiml = await run_in_threadpool(
        desk.respond, CallForm.of(form), -1 if step is None else step, base_url(request, settings)
    )
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
