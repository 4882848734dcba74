"""Schema for patient preferences (empty until that feature needs a table or column).

Revision ID: 0013_preferences
Revises: 0012_households
Create Date: 2026-11-29
"""

revision = "0013_preferences"
down_revision = "0012_households"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
