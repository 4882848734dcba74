"""Issue 19 (speed): what the fast path needs (version stamps, indexes).

Revision ID: 0021_speed
Revises: 0020_queue
"""

from __future__ import annotations

revision = "0021_speed"
down_revision = "0020_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
