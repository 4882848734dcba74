"""Schema for households (empty until that feature needs a table or column).

Revision ID: 0012_households
Revises: 0011_caregivers
Create Date: 2026-11-29
"""

revision = "0012_households"
down_revision = "0011_caregivers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
