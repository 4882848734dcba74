"""Schema for standalone assessment responses (empty until that feature needs a table or column).

Revision ID: 0014_assessment_responses
Revises: 0013_preferences
Create Date: 2026-11-29
"""

revision = "0014_assessment_responses"
down_revision = "0013_preferences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
