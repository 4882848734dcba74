"""Issue 16, second part: open days, payers, services at pickup, the worklist's ticks.

Revision ID: 0018_open_days
Revises: 0018_pharmacy_loop
"""

from __future__ import annotations

revision = "0018_open_days"
down_revision = "0018_pharmacy_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
