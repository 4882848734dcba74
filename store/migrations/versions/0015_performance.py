"""Schema for performance indexes (empty until that feature needs a table or column).

Revision ID: 0015_performance
Revises: 0014_assessment_responses
Create Date: 2026-11-29
"""

revision = "0015_performance"
down_revision = "0014_assessment_responses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
