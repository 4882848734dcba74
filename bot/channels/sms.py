"""The SMS webhook: Twilio's form in, TwiML out.

The route reads the signed form into an `InboundText` and hands it to whatever answers texts
(`TextHandler`: the conversation runtime, installed by the app factory as app.state.runtime),
so this edge knows Twilio's format and nothing of the conversation behind it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request, Response
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.twilio_webhook import SignedForm, form_int, in_lane

router = APIRouter()
TWIML = "application/xml"


@dataclass(frozen=True)
class InboundText:
    sid: str
    from_: str
    to: str
    body: str
    num_media: int = 0
    # Twilio's Advanced Opt-Out already answered this STOP, START or HELP (OptOutType is set):
    # record what it means, but send no second confirmation.
    answered_by_twilio: bool = False


class TextHandler(Protocol):
    def handle_text(self, inbound: InboundText) -> str:
        """The TwiML that answers one inbound text (the same again for a retried MessageSid)."""
        ...


async def handler_of(request: Request) -> TextHandler:
    # async: a plain `def` dependency costs a trip to the thread pool on every request.
    handler: TextHandler = request.app.state.runtime
    return handler


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
    form: SignedForm, runtime: Annotated[TextHandler, Depends(handler_of)], request: Request
) -> Response:
    inbound = InboundText(
        sid=_clean(form.get("MessageSid") or form.get("SmsSid") or "")[:64],
        from_=_clean(form.get("From", "")),
        to=_clean(form.get("To", "")),
        body=_clean(form.get("Body", "")),
        num_media=_int(form.get("NumMedia")),
        answered_by_twilio=form.get("OptOutType", "").upper() in {"STOP", "START", "HELP"},
    )
    twiml = await in_lane(request, runtime.handle_text, inbound)
    return Response(content=twiml, media_type=TWIML)
