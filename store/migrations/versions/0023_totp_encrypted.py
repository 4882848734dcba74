"""Staff second-factor secrets encrypted at rest: room for the encrypted form.

`staff_user.totp_secret` grows from 64 to 255 characters to hold "fernet:" and a Fernet token
(about 150 characters for a 32-character base32 secret; bot/inbox/secret_box.py). Nothing is
rewritten here: the migration has no MEDSYNC_SECRET_KEY, so each plain secret is encrypted
by the app the next time its staff member signs in with a code.

Downgrading refuses while any secret is encrypted: the older code cannot read them and would
fail at each of those sign-ins. Reset those second factors first (`medsync user
reset-second-factor`).

Revision ID: 0023_totp_encrypted
Revises: 0022_languages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_totp_encrypted"
down_revision = "0022_languages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )


def downgrade() -> None:
    encrypted = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM staff_user WHERE totp_secret LIKE 'fernet:%'")
    )
    if encrypted:
        raise RuntimeError(
            f"{encrypted} staff second-factor secrets are encrypted and the older code cannot "
            "read them: reset them (medsync user reset-second-factor) before downgrading"
        )
    with op.batch_alter_table("staff_user") as batch:
        batch.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
