"""The ceiling: a bare FastAPI endpoint doing only what any Twilio webhook must do.

It parses the same form, validates the same X-Twilio-Signature and answers the same kind of
TwiML, with no database. Served by tests/bench/webhook.py beside the real app.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException, Request, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

REPLY = (
    "Thank you! Which day of the month should be your pickup day? We suggest day 28. "
    "Reply OK for day 28, or send a day from 1 to 28."
)


def create_app() -> FastAPI:
    token = os.environ["TWILIO_AUTH_TOKEN"]
    public_url = os.environ["MEDSYNC_PUBLIC_URL"].rstrip("/")
    app = FastAPI()

    @app.post("/twilio/sms")
    async def inbound_sms(request: Request) -> Response:
        form = await request.form()
        params = {key: str(value) for key, value in form.items()}
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(token).validate(public_url + request.url.path, params, signature):
            raise HTTPException(status_code=403)
        twiml = MessagingResponse()
        twiml.message(REPLY)
        return Response(content=str(twiml), media_type="application/xml")

    return app
