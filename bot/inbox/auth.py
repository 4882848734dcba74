"""Signing in and out: argon2 password hashes, server-side sessions with an idle timeout and
an absolute lifetime, sign-in throttling (bot/inbox/throttle.py), and the second factor.

The browser holds a signed, HttpOnly, SameSite cookie (Starlette's SessionMiddleware, with
Secure when the public URL is https) carrying a random session secret; the database keeps
only its SHA-256, so signing out, an idle timeout, or disabling the account ends the session
at the next request even if the cookie was copied. A browser that signed in to an account
also keeps a signed "known browser" cookie, which the throttle uses so that a stranger's
failures never slow the account's own browsers.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import APIRouter, Depends, Form, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import csrf, passwords, throttle
from bot.inbox.csrf import CsrfChecked
from bot.inbox.passwords import PasswordTooWeak
from bot.inbox.staff import Actor, actor_for
from bot.inbox.web import local_path, now_of, page, see_other, sessions_of, settings_of
from bot.settings import Settings
from store.accounts import StaffSession, User
from store.audit import record
from store.db import transaction

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
# The password was right and the second factor's code is awaited: this long at most.
CODE_WINDOW = dt.timedelta(minutes=5)
# The idle clock is written at most this often, not on every request.
SEEN_EVERY = dt.timedelta(seconds=30)
KNOWN_BROWSER_COOKIE = "medsync_browser"
KNOWN_BROWSER_DAYS = 180
KNOWN_BROWSER_SALT = "medsync.known-browser"

hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong
# password and sign-in does not reveal who has an account.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))

router = APIRouter(include_in_schema=False)

__all__ = ["PasswordTooWeak", "hash_password", "normalize_email"]


class SignInRequired(Exception):
    """No valid session: the browser is sent to /login."""


class CodeRequired(Exception):
    """The password was right; the second factor's code is next (/login/code)."""


class EnrolmentRequired(Exception):
    """An admin must set up the second factor before anything else (/account/second-factor)."""


def normalize_email(email: str) -> str:
    # PostgreSQL text cannot hold NUL: a pasted one would be an error, not a wrong password.
    return email.replace("\x00", "").strip().lower()


def hash_password(password: str, email: str = "") -> str:
    """The argon2id hash of a new password, once it passes bot/inbox/passwords.py."""
    passwords.check(password, email)
    return hasher.hash(password)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_lifetime(settings: Settings) -> dt.timedelta:
    return dt.timedelta(hours=settings.session_hours)


def idle_timeout(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.session_idle_minutes)


def client_address(request: Request) -> str:
    """The browser's address (behind the TLS proxy, from X-Forwarded-For as uvicorn trusts
    it: MEDSYNC_FORWARDED_ALLOW_IPS)."""
    return (request.client.host if request.client else "") or "unknown"


# ------------------------------------------------------------------ known browsers


def _browser_signer(request: Request) -> URLSafeTimedSerializer:
    secret: str = request.app.state.cookie_secret
    return URLSafeTimedSerializer(secret, salt=KNOWN_BROWSER_SALT)


def known_users(request: Request) -> frozenset[int]:
    """The accounts this browser has signed in to (a signed cookie; forged or old: none)."""
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not raw:
        return frozenset()
    try:
        ids = _browser_signer(request).loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:
        return frozenset()
    if not isinstance(ids, list):
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, int))


def remember_browser(request: Request, response: Response, user_id: int) -> None:
    ids = [user_id, *sorted(known_users(request) - {user_id})][:8]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _browser_signer(request).dumps(ids),
        max_age=KNOWN_BROWSER_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=(settings_of(request).public_url or "").startswith("https://"),
    )


# ------------------------------------------------------------------ the password


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str = ""
    wait_seconds: int = 0


def _wait_sentence(seconds: int) -> str:
    when = f"{seconds} seconds" if seconds < 120 else f"{round(seconds / 60)} minutes"
    return (
        f"Too many failed sign-ins: wait {when} and try again. If it keeps happening, an "
        "admin can clear it with `medsync user unlock`."
    )


def refused_for_now(
    session: Session, attempt: throttle.Attempt, now: dt.datetime
) -> SignInResult | None:
    """The throttle's answer when this attempt must wait (audited), else None."""
    wait = throttle.wait_for(session, attempt, now)
    if wait is None:
        return None
    record(
        session,
        attempt.email,
        "sign_in_refused",
        "sign_in",
        now,
        after={"reason": wait.reason, "wait_seconds": wait.seconds},
    )
    return SignInResult(None, _wait_sentence(wait.seconds), wait.seconds)


def check_password(
    session: Session,
    raw_email: str,
    password: str,
    now: dt.datetime,
    address: str = "unknown",
    known: frozenset[int] = frozenset(),
) -> SignInResult:
    """The user when the password is right and no delay is running; never says which of
    email or password was wrong."""
    email = normalize_email(raw_email)[:254]
    if not email or not password:
        return SignInResult(None, "Enter your email and password.")
    user = session.scalar(select(User).where(User.email == email))
    attempt = throttle.Attempt(email, address, user is not None and user.id in known)
    refused = refused_for_now(session, attempt, now)
    if refused is not None:
        return refused
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        matched = user is not None and user.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if not matched or user is None:
        throttle.note_failure(session, attempt, now)
        record(
            session,
            email,
            "sign_in_failed",
            f"user:{user.id}" if user else "sign_in",
            now,
            after={"address": address[:64], "known_browser": attempt.known_browser},
        )
        return SignInResult(None, "That email and password do not match an account.")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        user.updated_at = now
    throttle.forget_after_success(session, attempt)
    return SignInResult(user)


# ------------------------------------------------------------------ sessions


def start_session(
    session: Session, user: User, now: dt.datetime, settings: Settings, awaiting_code: bool
) -> str:
    secret = secrets.token_urlsafe(32)
    lifetime = CODE_WINDOW if awaiting_code else session_lifetime(settings)
    session.add(
        StaffSession(
            token_hash=_digest(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
            awaiting_second_factor=awaiting_code,
        )
    )
    if not awaiting_code:
        record(session, user.email, "sign_in", f"user:{user.id}", now)
    return secret


def finish_second_factor(
    session: Session, staff_session: StaffSession, user: User, now: dt.datetime, settings: Settings
) -> None:
    """The code was right: the session becomes a full one, its lifetime from now."""
    staff_session.awaiting_second_factor = False
    staff_session.created_at = now
    staff_session.last_seen_at = now
    staff_session.expires_at = now + session_lifetime(settings)
    record(session, user.email, "sign_in", f"user:{user.id}", now, after={"second_factor": True})


def end_session(session: Session, secret: str, now: dt.datetime) -> None:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(secret)))
    if row is not None and row.ended_at is None:
        row.ended_at = now
        user = session.get(User, row.user_id)
        record(session, user.email if user else "?", "sign_out", f"user:{row.user_id}", now)


def end_sessions_of(session: Session, user_id: int, now: dt.datetime) -> int:
    """Every open session of the user ends now (disabled, password or second factor reset)."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class Standing(enum.Enum):
    SIGNED_IN = "signed in"
    AWAITING_CODE = "awaiting the second factor's code"
    MUST_ENROL = "must set up a second factor"


@dataclass(frozen=True)
class Found:
    standing: Standing
    staff_session: StaffSession
    user: User


def find_session(
    session: Session, secret: str, now: dt.datetime, settings: Settings, touch: bool = True
) -> Found | None:
    """The session the cookie names, if it may still be used: not ended, not past its
    lifetime, not idle too long, its user not disabled. Using it keeps it from idling
    (`touch`), unless the page asked by itself (a live update)."""
    found = session.execute(
        select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == _digest(secret))
    ).first()
    if found is None:
        return None
    staff_session, user = found
    if staff_session.ended_at is not None or not user.active:
        return None
    seen = staff_session.last_seen_at or staff_session.created_at
    if staff_session.expires_at <= now or now - seen >= idle_timeout(settings):
        staff_session.ended_at = now
        return None
    if touch and now - seen >= SEEN_EVERY:
        staff_session.last_seen_at = now
    if staff_session.awaiting_second_factor:
        return Found(Standing.AWAITING_CODE, staff_session, user)
    if settings.admin_second_factor and user.is_admin and not user.has_second_factor:
        return Found(Standing.MUST_ENROL, staff_session, user)
    return Found(Standing.SIGNED_IN, staff_session, user)


def _standing(request: Request) -> tuple[Standing, Actor]:
    secret = request.session.get("sid")
    if not isinstance(secret, str) or not secret:
        raise SignInRequired()
    with transaction(sessions_of(request)) as session:
        found = find_session(
            session, secret, now_of(request), settings_of(request), not _by_itself(request)
        )
        actor = actor_for(session, found.user) if found is not None else None
    if found is None or actor is None:
        request.session.pop("sid", None)
        raise SignInRequired()
    request.state.actor = actor  # who a refused attempt is audited as (bot/inbox/refusals.py)
    return found.standing, actor


def _by_itself(request: Request) -> bool:
    """A request the page made on its own: the live stream (and its reconnections) or a live
    reload (htmx). It does not count as the person being there, so a screen left open still
    signs out after the idle time however many texts arrive."""
    return "HX-Request" in request.headers or "text/event-stream" in request.headers.get(
        "accept", ""
    )


def current_actor(request: Request) -> Actor:
    """The signed-in user, or SignInRequired (the browser goes to /login), CodeRequired or
    EnrolmentRequired."""
    standing, actor = _standing(request)
    if standing is Standing.AWAITING_CODE:
        raise CodeRequired()
    if standing is Standing.MUST_ENROL:
        raise EnrolmentRequired()
    return actor


def enrolling_actor(request: Request) -> Actor:
    """Signed in, perhaps still without the second factor an admin must set up."""
    standing, actor = _standing(request)
    if standing is Standing.AWAITING_CODE:
        raise CodeRequired()
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
EnrollingActor = Annotated[Actor, Depends(enrolling_actor)]


# ------------------------------------------------------------------ pages


def login_page(
    request: Request,
    next_path: str,
    error: str = "",
    status: int = 200,
    wait_seconds: int = 0,
) -> Response:
    response = page(
        request,
        "login.html",
        {"title": "Sign in", "error": error, "next_path": next_path},
        status_code=status,
    )
    if wait_seconds:
        response.headers["Retry-After"] = str(wait_seconds)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    target = local_path(next)
    secret = request.session.get("sid")
    if isinstance(secret, str) and secret:
        with transaction(sessions_of(request)) as session:
            found = find_session(session, secret, now_of(request), settings_of(request))
        if found is not None and found.standing is Standing.SIGNED_IN:
            return see_other(target)
    return login_page(request, target)


@router.post("/login")
def login(
    request: Request,
    _: CsrfChecked,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    target = local_path(next)
    now = now_of(request)
    settings = settings_of(request)
    with transaction(sessions_of(request)) as session:
        result = check_password(
            session,
            email,
            password[: passwords.MAX_LENGTH],
            now,
            client_address(request),
            known_users(request),
        )
        user = result.user
        awaiting = user is not None and user.has_second_factor
        secret = start_session(session, user, now, settings, awaiting) if user else None
    if secret is None or user is None:
        status = 429 if result.wait_seconds else 401
        return login_page(request, target, result.error, status, result.wait_seconds)
    # A fresh session on sign-in: nothing planted before it (fixation) carries over.
    request.session.clear()
    request.session["sid"] = secret
    csrf.renew(request)
    if awaiting:
        request.session["after_code"] = target
        return see_other("/login/code")
    response = see_other(target)
    remember_browser(request, response, user.id)
    return response


@router.post("/logout")
def logout(request: Request, _: CsrfChecked) -> Response:
    secret = request.session.get("sid")
    if isinstance(secret, str) and secret:
        with transaction(sessions_of(request)) as session:
            end_session(session, secret, now_of(request))
    request.session.clear()
    csrf.renew(request)
    return see_other("/login")
