"""The pharmacist's inbox: staff accounts, sessions, API tokens, sign-in failures, and the
indexes that keep a 10,000-item queue, a patient's history and a thread fast.

Revision ID: 0003_inbox
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0003_inbox"
down_revision = "0002"
branch_labels = None
depends_on = None


def _utc() -> store.models.UTCDateTime:
    return store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "staff_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("pharmacy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pharmacy_id"], ["pharmacy.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "pharmacy_id"),
    )
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_email", "login_failure", ["email", "created_at"])
    op.create_index(
        "ix_review_item_queue_all", "review_item", ["status", "priority", "created_at", "id"]
    )
    op.create_index("ix_review_item_kind", "review_item", ["pharmacy_id", "status", "kind"])
    op.create_index("ix_review_item_patient", "review_item", ["patient_id", "created_at"])
    op.create_index("ix_audit_event_subject", "audit_event", ["subject", "created_at"])
    op.create_index("ix_message_thread", "message", ["pharmacy_id", "phone", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_message_thread", table_name="message")
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
    op.drop_index("ix_review_item_patient", table_name="review_item")
    op.drop_index("ix_review_item_kind", table_name="review_item")
    op.drop_index("ix_review_item_queue_all", table_name="review_item")
    op.drop_index("ix_login_failure_email", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_table("api_token")
    op.drop_table("staff_session")
    op.drop_table("staff_membership")
    op.drop_table("staff_user")
