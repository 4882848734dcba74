"""The SMS webhook: Twilio's form in, TwiML out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.twilio_webhook import SignedForm, form_int
from bot.conversation.runtime import InboundText, Runtime

router = APIRouter()
TWIML = "application/xml"


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def render_sms(texts: Sequence[str]) -> str:
    """One turn's replies as one text message."""
    response = MessagingResponse()
    response.message("\n".join(texts))
    return str(response)


def _clean(value: str) -> str:
    """PostgreSQL text cannot hold NUL; keep the rest of what the patient sent."""
    return value.replace("\x00", "\ufffd")


def _int(value: str | None) -> int:
    return max(form_int(value) or 0, 0)


@router.post("/twilio/sms")
async def inbound_sms(
    form: SignedForm, runtime: Annotated[Runtime, Depends(runtime_of)]
) -> Response:
    inbound = InboundText(
        sid=_clean(form.get("MessageSid") or form.get("SmsSid") or "")[:64],
        from_=_clean(form.get("From", "")),
        to=_clean(form.get("To", "")),
        body=_clean(form.get("Body", "")),
        num_media=_int(form.get("NumMedia")),
        answered_by_twilio=form.get("OptOutType", "").upper() in {"STOP", "START", "HELP"},
    )
    twiml = await run_in_threadpool(runtime.handle_text, inbound)
    return Response(content=twiml, media_type=TWIML)
