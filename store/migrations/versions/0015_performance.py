"""Indexes for the scheduler's tick over a large program (tests/bench/scheduler.py).

Revision ID: 0015_performance
Revises: 0014_assessment_responses
Create Date: 2026-11-29
"""

from alembic import op

revision = "0015_performance"
down_revision = "0014_assessment_responses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Active enrollments whose pickup is near (check-ins, the call list, moving anchors on).
    op.create_index("ix_enrollment_due", "enrollment", ["status", "next_anchor_date"])
    # Open check-ins to follow up, answered ones to remind of their pickup.
    op.create_index("ix_check_in_due", "check_in", ["status", "anchor_date"])


def downgrade() -> None:
    op.drop_index("ix_check_in_due", table_name="check_in")
    op.drop_index("ix_enrollment_due", table_name="enrollment")
