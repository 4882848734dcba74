"""What every inbox page shares: templates (autoescaped), flashes, security headers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response

from bot.clock import Clock, local_date
from bot.conversation.messages import display_phone
from bot.inbox import display
from bot.inbox.csrf import csrf_token
from bot.settings import Settings
from dialogs.plan.dates import ordinal

HERE = Path(__file__).resolve().parent

# Autoescape on for every template, whatever its name: patient-written text is only ever
# printed through {{ }} and never marked safe.
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    masked=display.masked_phone,
    local=display.local,
    day=display.day,
    kind_label=display.kind_label,
    language_name=display.language_name,
    ordinal=ordinal,
    status_words=display.status_words,
    key_words=display.key_words,
    phone_words=display_phone,
)
templates = Jinja2Templates(env=environment)

# Scripts and styles only from our own files (htmx and its SSE extension vendored, our
# inbox.js; the item page's segment counter and thread scrolling in static/item.js): no inline
# script or style, no eval; the live stream only to this origin. The inbox still works without
# JavaScript (every action is a form).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # patient data must not linger in a shared browser's cache
}


def sessions_of(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def clock_of(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def now_of(request: Request) -> dt.datetime:
    return clock_of(request).now()


def today_at(request: Request, timezone: str) -> dt.date:
    return local_date(clock_of(request), timezone)


def flash(request: Request, kind: str, text: str) -> None:
    """A one-time notice for the next page ("ok", "warn" or "error")."""
    notices = list(request.session.get("flash", []))
    notices.append({"kind": kind, "text": text})
    request.session["flash"] = notices[-5:]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    notices: list[dict[str, str]] = request.session.pop("flash", [])
    return notices


def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A full page: the base layout's needs (who is signed in, the CSRF token) included."""
    full = {
        "staff": None,
        "flashes": pop_flashes(request),
        "csrf_token": csrf_token(request),
        "title": "",
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    return secure(response)


def refused(request: Request, staff: Any, text: str) -> Response:
    """The role may not do this (bot/inbox/policy.py): a 403 page, audited as refused by
    bot/inbox/refusals.py, with `text` as the reason. Nothing was changed."""
    request.state.refusal_reason = text
    return page(
        request,
        "message.html",
        {"title": "Not allowed", "staff": staff, "heading": "Not allowed", "text": text},
        status_code=403,
    )


def see_other(path: str) -> RedirectResponse:
    """Post/redirect/get: a reload never submits a form again."""
    return RedirectResponse(path, status_code=303)


def local_path(candidate: str | None, default: str = "/inbox") -> str:
    """Where to go after signing in: only a path on this site (no open redirects)."""
    if (
        not candidate
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(c) < 32 for c in candidate)
    ):
        return default
    return candidate
