"""Schema for caregivers (empty until that feature needs a table or column).

Revision ID: 0011_caregivers
Revises: 0010_fills
Create Date: 2026-11-29
"""

revision = "0011_caregivers"
down_revision = "0010_fills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
