"""Signing in and out: argon2 password hashes, server-side sessions, a lockout.

The browser holds a signed, HttpOnly, SameSite cookie (Starlette's SessionMiddleware, with
Secure when the public URL is https) carrying a random session secret; the database keeps
only its SHA-256, so signing out ends the session even if the cookie was copied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import csrf
from bot.inbox.csrf import CsrfChecked
from bot.inbox.staff import Actor, actor_for
from bot.inbox.web import local_path, now_of, page, see_other, sessions_of
from store.accounts import LoginFailure, StaffSession, User
from store.audit import record
from store.db import transaction

MAX_FAILURES = 5  # wrong passwords in the window before the email is locked
LOCK_WINDOW = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)  # one long pharmacy shift
MIN_PASSWORD_LENGTH = 12

hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong
# password and sign-in does not reveal who has an account.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """No valid session: the browser is sent to /login."""


class PasswordTooWeak(ValueError):
    pass


def normalize_email(email: str) -> str:
    # PostgreSQL text cannot hold NUL: a pasted one would be an error, not a wrong password.
    return email.replace("\x00", "").strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooWeak(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    return hasher.hash(password)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str = ""
    locked: bool = False


def is_locked(session: Session, email: str, now: dt.datetime) -> bool:
    recent = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.email == email, LoginFailure.created_at > now - LOCK_WINDOW)
    )
    return int(recent or 0) >= MAX_FAILURES


def check_password(
    session: Session, raw_email: str, password: str, now: dt.datetime
) -> SignInResult:
    """The user when the password is right and the email is not locked; never says which
    of email or password was wrong."""
    email = normalize_email(raw_email)[:254]
    wrong = "That email and password do not match an account."
    if not email or not password:
        return SignInResult(None, "Enter your email and password.")
    if is_locked(session, email, now):
        record(session, email, "sign_in_refused", "sign_in", now, after={"reason": "locked"})
        return SignInResult(
            None,
            "Too many failed sign-ins: this account is locked for 15 minutes. "
            "An admin can unlock it with `medsync user unlock`.",
            locked=True,
        )
    user = session.scalar(select(User).where(User.email == email))
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        matched = user is not None and user.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if not matched or user is None:
        session.add(LoginFailure(email=email, created_at=now))
        session.flush()
        locked_now = is_locked(session, email, now)
        record(
            session,
            email,
            "sign_in_failed",
            f"user:{user.id}" if user else "sign_in",
            now,
            after={"locked": locked_now},
        )
        if locked_now:
            return SignInResult(
                None,
                "Too many failed sign-ins: this account is locked for 15 minutes.",
                locked=True,
            )
        return SignInResult(None, wrong)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        user.updated_at = now
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    return SignInResult(user)


def start_session(session: Session, user: User, now: dt.datetime) -> str:
    secret = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_digest(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    record(session, user.email, "sign_in", f"user:{user.id}", now)
    return secret


def end_session(session: Session, secret: str, now: dt.datetime) -> None:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(secret)))
    if row is not None and row.ended_at is None:
        row.ended_at = now
        user = session.get(User, row.user_id)
        record(session, user.email if user else "?", "sign_out", f"user:{row.user_id}", now)


def actor_for_session(session: Session, secret: str, now: dt.datetime) -> Actor | None:
    found = session.execute(
        select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == _digest(secret))
    ).first()
    if found is None:
        return None
    staff_session, user = found
    if staff_session.ended_at is not None or staff_session.expires_at <= now or not user.active:
        return None
    return actor_for(session, user)


def current_actor(request: Request) -> Actor:
    """The signed-in user, or SignInRequired (the browser goes to /login)."""
    secret = request.session.get("sid")
    if not isinstance(secret, str) or not secret:
        raise SignInRequired()
    with transaction(sessions_of(request)) as session:
        actor = actor_for_session(session, secret, now_of(request))
    if actor is None:
        request.session.pop("sid", None)
        raise SignInRequired()
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


# ------------------------------------------------------------------ pages


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    return page(
        request,
        "login.html",
        {"title": "Sign in", "error": error, "next_path": next_path},
        status_code=status,
    )


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    target = local_path(next)
    secret = request.session.get("sid")
    if isinstance(secret, str) and secret:
        with transaction(sessions_of(request)) as session:
            if actor_for_session(session, secret, now_of(request)) is not None:
                return see_other(target)
    return _login_page(request, target)


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
    with transaction(sessions_of(request)) as session:
        result = check_password(session, email, password[:1024], now)
        secret = start_session(session, result.user, now) if result.user else None
    if secret is None:
        return _login_page(request, target, result.error, 429 if result.locked else 401)
    # A fresh session on sign-in: nothing planted before it (fixation) carries over.
    request.session.clear()
    request.session["sid"] = secret
    csrf.renew(request)
    return see_other(target)


@router.post("/logout")
def logout(request: Request, _: CsrfChecked) -> Response:
    secret = request.session.get("sid")
    if isinstance(secret, str) and secret:
        with transaction(sessions_of(request)) as session:
            end_session(session, secret, now_of(request))
    request.session.clear()
    csrf.renew(request)
    return see_other("/login")
