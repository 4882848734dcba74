"""Twilio's side of every webhook: the form, and its X-Twilio-Signature checked first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request
from twilio.request_validator import RequestValidator

from bot.settings import Settings

T = TypeVar("T")


async def settings_of(request: Request) -> Settings:
    # async: a plain `def` dependency costs a trip to the thread pool on every request.
    settings: Settings = request.app.state.settings
    return settings


def public_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: the configured public base (a TLS proxy changes what we see)."""
    if settings.public_url:
        url = settings.public_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        return url
    return str(request.url)


async def signed_form(
    request: Request, settings: Annotated[Settings, Depends(settings_of)]
) -> dict[str, str]:
    """The POST parameters, once Twilio's signature over them is proven; else 403."""
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if (
        not signature
        or not settings.twilio_auth_token
        or not validator.validate(public_url(request, settings), params, signature)
    ):
        raise HTTPException(status_code=403, detail="Twilio signature missing or invalid.")
    return params


SignedForm = Annotated[dict[str, str], Depends(signed_form)]

# Twilio's numbers (NumMedia, ErrorCode, durations) and our own ids in callback URLs land in
# 32-bit integer columns: anything else is treated as absent, never a database error.
INT_MAX = 2**31 - 1


def form_int(value: str | None) -> int | None:
    """A whole number from a form field or query parameter, or None when it is not one."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and -INT_MAX <= number <= INT_MAX else None


async def in_lane(request: Request, step: Callable[..., T], *args: Any) -> T:
    """Run one conversation step (a text, a call's turn) off the event loop, in the app's
    conversation lane (`app.state.conversation_lane`, a CapacityLimiter as wide as the
    transactions the database can usefully run at once: one on SQLite, the pool's size on
    PostgreSQL). Wider, the default pool's 40 threads only take turns at the same lock and
    the same GIL: under wrk the lane gave 4-6% more texts a second and halved the 99th
    percentile at half rate (docs/BENCHMARKS.md, issue 19). Without a lane, the default pool.
    """
    lane = getattr(request.app.state, "conversation_lane", None)
    return await anyio.to_thread.run_sync(step, *args, limiter=lane)
