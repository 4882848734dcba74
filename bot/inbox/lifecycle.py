"""A staff account's life: disabled and enabled, its role changed, its password or second
factor reset. The CLI (`medsync user ...`) and the admins' staff page (/inbox/staff) call the
same functions, inside the caller's transaction, each writing one audit row.

Disabling ends the account's sessions at once and its API tokens are refused from the next
request (they stay listed, and work again if the account is enabled, unless revoked). A reset
password or second factor ends the sessions too: whoever had them must sign in again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.inbox import throttle
from bot.inbox.auth import end_sessions_of, hash_password
from store.accounts import Role, User
from store.audit import record


class StaffChangeRefused(ValueError):
    """The change would leave the pharmacy without what it needs: the sentence says why."""


def _subject(user: User) -> str:
    return f"user:{user.id}"


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(session: Session, user: User, what: str) -> None:
    if user.is_admin and user.active and _other_active_admins(session, user) == 0:
        raise StaffChangeRefused(
            f"{user.email} is the only active admin: make someone else an admin before you {what}."
        )


def disable(session: Session, user: User, by: str, now: dt.datetime) -> str:
    if not user.active:
        return f"{user.email} is already disabled."
    _keep_an_admin(session, user, "disable this account")
    user.active = False
    user.updated_at = now
    ended = end_sessions_of(session, user.id, now)
    record(
        session, by, "user_disable", _subject(user), now,
        before={"active": True}, after={"active": False, "sessions_ended": ended},
    )  # fmt: skip
    return f"{user.email} is disabled: signed out everywhere, and its API tokens are refused."


def enable(session: Session, user: User, by: str, now: dt.datetime) -> str:
    if user.active:
        return f"{user.email} is already enabled."
    user.active = True
    user.updated_at = now
    throttle.forget_account(session, user.email)
    record(
        session, by, "user_enable", _subject(user), now,
        before={"active": False}, after={"active": True},
    )  # fmt: skip
    return f"{user.email} is enabled and can sign in again."


def set_role(session: Session, user: User, role: Role, by: str, now: dt.datetime) -> str:
    if user.role is role:
        return f"{user.email} is already a {role.value}."
    if role is not Role.ADMIN:
        _keep_an_admin(session, user, "change this account's role")
    before = user.role.value
    user.role = role
    user.updated_at = now
    record(
        session, by, "user_role", _subject(user), now,
        before={"role": before}, after={"role": role.value},
    )  # fmt: skip
    note = "" if role is Role.ADMIN or user.memberships else " (and belongs to no pharmacy yet)"
    return f"{user.email} is now a {role.value}{note}; it takes effect on their next page."


def reset_password(session: Session, user: User, password: str, by: str, now: dt.datetime) -> str:
    """Raises PasswordTooWeak with a sentence; never writes the password anywhere but as a hash."""
    user.password_hash = hash_password(password, user.email)
    user.password_changed_at = now
    user.updated_at = now
    ended = end_sessions_of(session, user.id, now)
    throttle.forget_account(session, user.email)
    record(
        session, by, "user_password_reset", _subject(user), now,
        after={"sessions_ended": ended},
    )  # fmt: skip
    return f"{user.email} has a new password; their open sessions were ended."


def reset_second_factor(session: Session, user: User, by: str, now: dt.datetime) -> str:
    had = user.totp_secret is not None
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.updated_at = now
    ended = end_sessions_of(session, user.id, now)
    record(
        session, by, "user_second_factor_reset", _subject(user), now,
        before={"second_factor": had}, after={"second_factor": False, "sessions_ended": ended},
    )  # fmt: skip
    return (
        f"{user.email} has no second factor now; they set a new one up at "
        "/account/second-factor after signing in."
    )
