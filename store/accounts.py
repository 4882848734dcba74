"""Staff accounts: who may sign in to the inbox, where, and with what.

Passwords and API tokens are stored only as hashes; a browser session is a server-side
row (so signing out or a lockout ends it at once), named by a hash of the cookie's secret.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models import AuditEvent, Base, Message, ReviewItem


class Role(enum.StrEnum):
    PHARMACIST = "pharmacist"
    TECHNICIAN = "technician"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            length=32,
            create_constraint=False,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # The TOTP second factor (RFC 6238): the base32 secret, set at enrolment and in use once
    # confirmed with a code; the last time step accepted, so one code never signs in twice.
    # Stored encrypted ("fernet:" and a token, bot/inbox/secret_box.py) when MEDSYNC_SECRET_KEY
    # is set, plain without it.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    password_changed_at: Mapped[dt.datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """How staff see each other: the name if given, else the email."""
        return self.name or self.email

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None and self.totp_confirmed_at is not None


class Membership(Base):
    """A user belongs to a pharmacy and sees its patients; admins see every pharmacy."""

    __tablename__ = "staff_membership"
    __table_args__ = (UniqueConstraint("user_id", "pharmacy_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))

    user: Mapped[User] = relationship(back_populates="memberships")


class StaffSession(Base):
    """A signed-in browser. The cookie carries a random secret; only its hash is kept."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]  # the absolute lifetime
    ended_at: Mapped[dt.datetime | None]
    # The idle timeout counts from here (None: from created_at).
    last_seen_at: Mapped[dt.datetime | None]
    # The password was right; the session is of no use until the second factor's code is.
    awaiting_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)


class Scope(enum.StrEnum):
    """What an API token may do. A route names the scope it needs (bot/web/tokens.py)."""

    READ_ITEMS = "items:read"  # the review queue and an item's answers
    DECIDE = "items:decide"  # approve, decline, log a call, close, confirm an opt-out
    READ_PATIENTS = "patients:read"  # a patient's enrollment status
    POST_DISPENSING = "dispensing:write"  # POST /api/v1/dispensing-events


def parse_scopes(text: str) -> frozenset[Scope]:
    """Scopes as stored (space-separated); an unknown word is dropped, never widened."""
    known = {s.value: s for s in Scope}
    return frozenset(known[word] for word in text.split() if word in known)


def scopes_text(scopes: frozenset[Scope] | set[Scope]) -> str:
    return " ".join(sorted(s.value for s in scopes))


class ApiToken(Base):
    """A pharmacy system's key to the JSON API; it acts with its owner's pharmacies, within
    its scopes, until it expires or is revoked or its owner is disabled."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, so a token can be named
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    # None only for a row no migration or command wrote: treated as expired (fail closed).
    expires_at: Mapped[dt.datetime | None]
    scopes: Mapped[str] = mapped_column(String(200), default="")
    last_used_at: Mapped[dt.datetime | None]
    last_used_from: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[Scope]:
        return parse_scopes(self.scopes)


class LoginFailure(Base):
    """One wrong password, unknown email or wrong second-factor code: enough of them slow
    down the next tries on that account, from that address, or everywhere (spraying)."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_email", "email", "created_at"),
        Index("ix_login_failure_address", "address", "created_at"),
        Index("ix_login_failure_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime]
    address: Mapped[str | None] = mapped_column(String(64))
    # The browser had signed in to this account before: its failures are counted apart, so
    # a stranger's failures never slow the account's own browsers.
    known_browser: Mapped[bool] = mapped_column(Boolean, default=False)


# The queue is read across pharmacies (admins) and counted per kind; the audit trail is read
# per subject (a patient's history) and newest first; a thread is read per phone.
Index(
    "ix_review_item_queue_all",
    ReviewItem.status,
    ReviewItem.priority,
    ReviewItem.created_at,
    ReviewItem.id,
)
Index("ix_review_item_kind", ReviewItem.pharmacy_id, ReviewItem.status, ReviewItem.kind)
Index("ix_review_item_patient", ReviewItem.patient_id, ReviewItem.created_at)
Index("ix_audit_event_subject", AuditEvent.subject, AuditEvent.created_at)
Index("ix_message_thread", Message.pharmacy_id, Message.phone, Message.created_at)

__all__ = [
    "ApiToken",
    "LoginFailure",
    "Membership",
    "Role",
    "Scope",
    "StaffSession",
    "User",
]
