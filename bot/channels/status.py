"""Twilio's status callbacks for our texts: signed like every webhook. The report goes to the
app's `DeliveryReports` (bot/outreach/delivery_reports.py, app.state.delivery_reports); an
unknown SID still gets a 2xx (Twilio would only retry it), with a log line."""

from __future__ import annotations

import logging
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from bot.channels.twilio_webhook import SignedForm, form_int

router = APIRouter()
log = logging.getLogger(__name__)


class DeliveryReports(Protocol):
    def record(
        self, sid: str, reported: str, error_code: int | None, message_id: int | None
    ) -> str:
        """Record one status report; say what was done (for the log)."""
        ...


async def reports_of(request: Request) -> DeliveryReports:
    reports: DeliveryReports = request.app.state.delivery_reports
    return reports


@router.post("/twilio/status", status_code=204)
async def message_status(
    form: SignedForm,
    reports: Annotated[DeliveryReports, Depends(reports_of)],
    message: str | None = None,
) -> Response:
    # PostgreSQL text holds no NUL, and a SID is at most 64 characters (the column).
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").replace("\x00", "")[:64]
    if not sid:
        return Response(status_code=204)
    outcome = await run_in_threadpool(
        reports.record,
        sid,
        form.get("MessageStatus") or form.get("SmsStatus") or "",
        form_int(form.get("ErrorCode")),
        form_int(message),
    )
    if outcome == "unknown SID":
        log.info("status callback for a SID we did not send: %s", sid)
    return Response(status_code=204)
