"""Issue 18 (the inbox): two-way threads, unread marks, saved replies.

- conversation: `staff_thread_item_id` and `staff_thread_until`: a staff member's reply opens a
  thread on its review item; until then (or until the item is decided) what the patient writes
  outside a dialog question goes to that item.
- review_item: `latest_message_id`, `latest_at` (the patient's latest text that reached the
  item) and `unread` (nobody has opened the item since). Existing items: NULL, not unread.
- saved_reply: a pharmacy's saved replies, one row per name and language.

Revision ID: 0020_inbox
Revises: 0019_staff
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0020_inbox"
down_revision = "0019_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("staff_thread_item_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("staff_thread_until", UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_conversation_staff_thread", "conversation", ["staff_thread_item_id"])
    with op.batch_alter_table("review_item") as batch:
        batch.add_column(sa.Column("latest_message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("latest_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("unread", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            "fk_review_item_latest_message_id", "message", ["latest_message_id"], ["id"]
        )
    op.create_table(
        "saved_reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("pharmacy_id", "name", "language"),
    )


def downgrade() -> None:
    op.drop_table("saved_reply")
    with op.batch_alter_table("review_item") as batch:
        batch.drop_constraint("fk_review_item_latest_message_id", type_="foreignkey")
        batch.drop_column("unread")
        batch.drop_column("latest_at")
        batch.drop_column("latest_message_id")
    op.drop_index("ix_conversation_staff_thread", table_name="conversation")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("staff_thread_until")
        batch.drop_column("staff_thread_item_id")
