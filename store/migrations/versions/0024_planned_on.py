"""When the plan behind an enrollment's pickup day was made: `enrollment.planned_on`.

Set (the pharmacy's local date) whenever the pickup day is set or changed: by the patient in
the enrollment dialog, by staff in the inbox, or when a late approval moves the first synced
pickup to what the plan makes of that day. The scheduler moving `next_anchor_date` on each
cycle leaves it alone. The prep-day worklist lists the plan's short fills (its sync visits)
until a pickup cycle on or after that day is behind the patient, so a settled patient whose
day moved sees the visits that line their medicines up again (docs/WORKLIST.md).

Existing enrollments get NULL: nothing recorded says when their day was chosen, so the
worklist treats them as before (the day the enrollment was last updated, and no visits once
any pickup cycle is behind them). Nothing is guessed.

Revision ID: 0024_planned_on
Revises: 0023_totp_encrypted
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_planned_on"
down_revision = "0023_totp_encrypted"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enrollment") as batch:
        batch.add_column(sa.Column("planned_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrollment") as batch:
        batch.drop_column("planned_on")
