"""The pharmacist's inbox: a server-rendered web app over the review queue.

`install(app)` adds it to the FastAPI app: the session cookie, the pages, the stylesheet,
and the answers to an anonymous visitor (sent to /login) or a stale form (403).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from bot.inbox import (
    audit,
    auth,
    caregivers,
    households,
    items,
    live,
    patients,
    queue,
    reports,
    saved_replies,
    second_factor,
    staff_admin,
    triage,
    worklist,
)
from bot.inbox.csrf import CsrfFailed
from bot.inbox.languages import router as language_switches
from bot.inbox.no_store import NoStore
from bot.inbox.refusals import AuditRefusals
from bot.inbox.web import HERE, page
from bot.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "medsync_session"
# Row ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1
PAGES = ("/login", "/logout", "/inbox", "/patients", "/audit", "/account")


def install(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    secret = settings.secret_key
    if not secret:
        # Fine for one process; with several workers or restarts set MEDSYNC_SECRET_KEY.
        log.warning(
            "MEDSYNC_SECRET_KEY is not set: staff sessions end when the server stops, and "
            "second-factor secrets are stored unencrypted until it is set (docs/DEPLOY.md)"
        )
        secret = secrets.token_urlsafe(32)
    app.state.cookie_secret = secret
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=int(auth.session_lifetime(settings).total_seconds()),
        same_site="lax",
        https_only=(settings.public_url or "").startswith("https://"),
    )
    # Refused attempts are audited (bot/inbox/refusals.py); nothing is cached (no_store.py).
    app.add_middleware(AuditRefusals)
    app.add_middleware(NoStore)
    app.mount("/static/inbox", StaticFiles(directory=HERE / "static"), name="inbox-static")
    _go_live(app, settings)
    for router in (
        auth.router,
        second_factor.router,
        staff_admin.router,
        queue.router,
        triage.router,
        live.router,
        items.router,
        patients.router,
        caregivers.router,
        households.router,
        audit.router,
        language_switches,
        reports.router,
        worklist.router,
        saved_replies.router,
    ):
        app.include_router(router, dependencies=[Depends(_ids_in_range)])
    app.add_exception_handler(auth.SignInRequired, _to_login)
    app.add_exception_handler(auth.CodeRequired, _to_code)
    app.add_exception_handler(auth.EnrolmentRequired, _to_enrolment)
    app.add_exception_handler(CsrfFailed, _stale_form)
    app.add_exception_handler(RequestValidationError, _bad_address)
    app.add_exception_handler(NoSuchRecord, _bad_address)


def _go_live(app: FastAPI, settings: Settings) -> None:
    """News of what the app stores reaches open pages (bot/inbox/live.py); the streams end
    when the app stops."""
    broadcaster = live.broadcaster_for(settings.redis_url)
    app.state.inbox_news = broadcaster
    live.watch(app.state.sessions, broadcaster)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        try:
            async with inner(application) as state:
                yield state
        finally:
            broadcaster.close()

    app.router.lifespan_context = lifespan


class NoSuchRecord(Exception):
    """An id in the address that no row can have (too large for the database, or not a
    number): a 404 page, never a database error."""


def _ids_in_range(request: Request) -> None:
    for name, value in request.path_params.items():
        if not name.endswith("_id"):
            continue
        text = str(value)
        if not (text.isascii() and text.isdigit() and 1 <= int(text[:12]) <= MAX_ID):
            raise NoSuchRecord(name)


def _is_page(request: Request) -> bool:
    return any(request.url.path.startswith(prefix) for prefix in PAGES)


async def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


async def _to_code(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/login/code", status_code=303)


async def _to_enrolment(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/account/second-factor", status_code=303)


async def _stale_form(request: Request, exc: Exception) -> Response:
    return page(
        request,
        "message.html",
        {
            "title": "Form expired",
            "heading": "This form has expired",
            "text": "Nothing was changed. Go back, reload the page and try again.",
        },
        status_code=403,
    )


async def _bad_address(request: Request, exc: Exception) -> Response:
    if not _is_page(request) and isinstance(exc, RequestValidationError):
        return await request_validation_exception_handler(request, exc)
    return page(
        request,
        "message.html",
        {
            "title": "Not found",
            "heading": "Not found",
            "text": "That address does not name an item or a patient.",
        },
        status_code=404,
    )
