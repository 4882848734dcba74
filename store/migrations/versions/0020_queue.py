"""Issue 18 (the queue): who read which item when; the latest text of a phone, found fast.

- item_read: one row per staff member and item, the last time they opened it and the latest
  text they saw then. A queue row is unread for them while a later text exists (or they
  never opened it).
- ix_message_pharmacy_phone: the latest text of a phone no patient matched, and a thread,
  read by (pharmacy, phone) without scanning the message table.

Revision ID: 0020_queue
Revises: 0020_inbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0020_queue"
down_revision = "0020_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_read",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("read_at", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["review_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "item_id"),
    )
    op.create_index("ix_message_pharmacy_phone", "message", ["pharmacy_id", "phone", "id"])


def downgrade() -> None:
    op.drop_index("ix_message_pharmacy_phone", table_name="message")
    op.drop_table("item_read")
