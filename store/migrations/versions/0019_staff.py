"""Issue 17, second part: staff lifecycle, sessions, second factor, token scopes, caller check.

- staff_user: a TOTP second factor (secret, when it was confirmed, the last time step used so
  a code is never accepted twice) and when the password last changed.
- staff_session: when the browser was last seen (idle timeout) and whether the session still
  waits for the second factor.
- api_token: expiry, scopes, when and from where it was last used. Tokens made before this
  migration keep what they could do (read items, decide, read patients; never the new
  "post dispensing events") and expire 90 days after the upgrade (docs/SECURITY.md).
- login_failure: the client's address and whether the browser had signed in to that account
  before, for the per-account, per-address and spraying delays (bot/inbox/throttle.py).
- pharmacy: verify_callers, on by default: an inbound call hears nothing about the patient
  until the caller confirms their birth date.

Revision ID: 0019_staff
Revises: 0019_hardening
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0019_staff"
down_revision = "0019_hardening"
branch_labels = None
depends_on = None

# What a token made before scopes existed could do: everything the API then offered.
LEGACY_SCOPES = "items:read items:decide patients:read"
LEGACY_TOKEN_DAYS = 90


def _utc() -> store.models.UTCDateTime:
    return store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_confirmed_at", _utc(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("password_changed_at", _utc(), nullable=True))
    with op.batch_alter_table("staff_session") as batch:
        batch.add_column(sa.Column("last_seen_at", _utc(), nullable=True))
        batch.add_column(
            sa.Column(
                "awaiting_second_factor", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", _utc(), nullable=True))
        batch.add_column(
            sa.Column("scopes", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("last_used_at", _utc(), nullable=True))
        batch.add_column(sa.Column("last_used_from", sa.String(length=64), nullable=True))
    token = sa.table(
        "api_token",
        sa.column("scopes", sa.String()),
        sa.column("expires_at", _utc()),
    )
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=LEGACY_TOKEN_DAYS)
    op.execute(token.update().values(scopes=LEGACY_SCOPES, expires_at=expires))
    with op.batch_alter_table("login_failure") as batch:
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("known_browser", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_login_failure_address", "login_failure", ["address", "created_at"])
    op.create_index("ix_login_failure_created", "login_failure", ["created_at"])
    with op.batch_alter_table("pharmacy") as batch:
        batch.add_column(
            sa.Column("verify_callers", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("pharmacy") as batch:
        batch.drop_column("verify_callers")
    op.drop_index("ix_login_failure_created", table_name="login_failure")
    op.drop_index("ix_login_failure_address", table_name="login_failure")
    with op.batch_alter_table("login_failure") as batch:
        batch.drop_column("known_browser")
        batch.drop_column("address")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("last_used_from")
        batch.drop_column("last_used_at")
        batch.drop_column("scopes")
        batch.drop_column("expires_at")
    with op.batch_alter_table("staff_session") as batch:
        batch.drop_column("awaiting_second_factor")
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_confirmed_at")
        batch.drop_column("totp_secret")
