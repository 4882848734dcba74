"""The optional second factor: a TOTP code (RFC 6238, pyotp) from an authenticator app.

Enrolment (/account/second-factor): a new secret is shown once, as a QR code (drawn as SVG on
the server by segno: the inbox runs no scripts and loads no outside images) and as an
otpauth:// address and text, and takes effect when a code from the app confirms it. At
sign-in (/login/code) a right password leads here; a wrong code counts as a failed sign-in
(bot/inbox/throttle.py), and one code is never accepted twice. A lost phone: an admin resets
the second factor (`medsync user reset-second-factor`, or the staff page); MEDSYNC_ADMIN_
SECOND_FACTOR makes it required for admins. The secret is stored encrypted with
MEDSYNC_SECRET_KEY (bot/inbox/secret_box.py); a plain one, from before, is encrypted at the
next sign-in.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Annotated

import pyotp
import segno
from fastapi import APIRouter, Form, Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import auth, secret_box, throttle
from bot.inbox.auth import EnrollingActor, Standing
from bot.inbox.csrf import CsrfChecked
from bot.inbox.secret_box import SecretUnreadable
from bot.inbox.web import local_path, now_of, page, see_other, sessions_of, settings_of
from store.accounts import User
from store.audit import record
from store.db import transaction

log = logging.getLogger(__name__)

ISSUER = "MedSync"
STEP_SECONDS = 30
UNREADABLE = (
    "Your second factor cannot be checked on this server. "
    "Ask an administrator to reset your second factor, then set it up again."
)

router = APIRouter(include_in_schema=False)


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_address(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code(address: str) -> Markup:
    """The address as an inline SVG QR code (segno escapes nothing it is not given)."""
    return Markup(segno.make(address, error="m").svg_inline(scale=4, dark="#000"))


def code_is_right(user: User, secret: str, code: str, now: dt.datetime) -> bool:
    """The code of this 30-second step or a neighbour (clocks drift), never one older than or
    equal to the last accepted step; accepting it moves that step on."""
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for offset in (-1, 0, 1):
        candidate = step + offset
        if user.totp_last_step is not None and candidate <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            user.totp_last_step = candidate
            return True
    return False


def stored_code_is_right(
    user: User, secret_key: str, code: str, now: dt.datetime, previous_key: str = ""
) -> bool:
    """code_is_right with the user's stored secret, opened with MEDSYNC_SECRET_KEY (or the
    previous key while keys change). A right code also seals the secret with the current key
    when it was plain (stored before encryption) or sealed with the previous key, in the
    caller's transaction. Raises SecretUnreadable (and logs the user's id) for a secret
    neither key can open."""
    if user.totp_secret is None:
        return False
    try:
        secret = secret_box.open_secret(user.totp_secret, secret_key, previous_key)
    except SecretUnreadable:
        log.warning(
            "The second factor of staff user %s cannot be decrypted with MEDSYNC_SECRET_KEY "
            "(the key changed?): an admin must reset it",
            user.id,
        )
        raise
    if not code_is_right(user, secret, code, now):
        return False
    if secret_box.needs_sealing(user.totp_secret, secret_key):
        user.totp_secret = secret_box.seal(secret, secret_key)
    return True


def _code_is_right(request: Request, user: User, code: str, now: dt.datetime) -> bool:
    settings = settings_of(request)
    return stored_code_is_right(user, settings.secret_key, code, now, settings.previous_secret_key)


# ------------------------------------------------------------------ at sign-in


def _pending(session: Session, request: Request) -> auth.Found | None:
    secret = request.session.get("sid")
    if not isinstance(secret, str) or not secret:
        return None
    found = auth.find_session(session, secret, now_of(request), settings_of(request))
    if found is None or found.standing is not Standing.AWAITING_CODE:
        return None
    return found


def _code_page(request: Request, error: str = "", status: int = 200, wait: int = 0) -> Response:
    response = page(
        request, "code.html", {"title": "Your code", "error": error}, status_code=status
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@router.get("/login/code")
def code_form(request: Request) -> Response:
    with transaction(sessions_of(request)) as session:
        if _pending(session, request) is None:
            return see_other("/login")
    return _code_page(request)


@router.post("/login/code")
def code_check(
    request: Request, _: CsrfChecked, code: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    now = now_of(request)
    with transaction(sessions_of(request)) as session:
        found = _pending(session, request)
        if found is None:
            return see_other("/login")
        user = found.user
        attempt = throttle.Attempt(
            user.email, auth.client_address(request), user.id in auth.known_users(request)
        )
        refused = auth.refused_for_now(session, attempt, now)
        if refused is not None:
            return _code_page(request, refused.error, 429, refused.wait_seconds)
        try:
            right = _code_is_right(request, user, code, now)
        except SecretUnreadable:
            record(session, user.email, "second_factor_failed", f"user:{user.id}", now)
            return _code_page(request, UNREADABLE, 409)
        if not right:
            throttle.note_failure(session, attempt, now)
            record(session, user.email, "second_factor_failed", f"user:{user.id}", now)
            return _code_page(request, "That code is not right. Try the newest one.", 401)
        throttle.forget_after_success(session, attempt)
        auth.finish_second_factor(session, found.staff_session, user, now, settings_of(request))
        user_id = user.id
    target = local_path(request.session.pop("after_code", None))
    response = see_other(target)
    auth.remember_browser(request, response, user_id)
    return response


# ------------------------------------------------------------------ enrolment


def _enrol_page(
    request: Request, actor: object, user: User, status: int = 200, **extra: object
) -> Response:
    context = {
        "title": "Second factor",
        "staff": actor,
        "enrolled": user.has_second_factor,
        "enrolled_at": user.totp_confirmed_at,
        "required": settings_of(request).admin_second_factor and user.is_admin,
        "address": None,
        "qr": None,
        "secret": None,
        "error": "",
        **extra,
    }
    return page(request, "second_factor.html", context, status_code=status)


@router.get("/account/second-factor")
def enrolment(request: Request, actor: EnrollingActor) -> Response:
    with transaction(sessions_of(request)) as session:
        user = session.get(User, actor.user_id)
        assert user is not None
        return _enrol_page(request, actor, user)


@router.post("/account/second-factor/start")
def enrolment_start(request: Request, actor: EnrollingActor, _: CsrfChecked) -> Response:
    """A new secret, shown on this page once; it counts only once a code confirms it."""
    now = now_of(request)
    with transaction(sessions_of(request)) as session:
        user = session.get(User, actor.user_id)
        assert user is not None
        if user.has_second_factor:
            return _enrol_page(
                request,
                actor,
                user,
                error="Your second factor is already set up. An admin can reset it.",
                status=409,
            )
        secret = new_secret()
        user.totp_secret = secret_box.seal(secret, settings_of(request).secret_key)
        user.totp_confirmed_at = None
        user.totp_last_step = None
        user.updated_at = now
        record(session, actor.audit_name, "second_factor_start", f"user:{user.id}", now)
        address = enrolment_address(secret, user.email)
        return _enrol_page(
            request, actor, user, address=address, qr=qr_code(address), secret=secret
        )


@router.post("/account/second-factor/confirm")
def enrolment_confirm(
    request: Request,
    actor: EnrollingActor,
    _: CsrfChecked,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    now = now_of(request)
    with transaction(sessions_of(request)) as session:
        user = session.get(User, actor.user_id)
        assert user is not None
        if user.has_second_factor:
            return see_other("/account/second-factor")
        try:
            right = _code_is_right(request, user, code, now)
        except SecretUnreadable:
            right = False  # a secret started under another key: starting again makes a new one
        if not right:
            record(session, actor.audit_name, "second_factor_failed", f"user:{user.id}", now)
            return _enrol_page(
                request,
                actor,
                user,
                error=(
                    "That code did not match. Start again and scan the new code: the one "
                    "shown before is not shown twice."
                ),
                status=400,
            )
        user.totp_confirmed_at = now
        user.updated_at = now
        record(session, actor.audit_name, "second_factor_on", f"user:{user.id}", now)
    return see_other("/account/second-factor")
