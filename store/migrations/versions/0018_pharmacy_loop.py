"""Issue 16 (the pharmacy loop), first part: dispensing events, prescription status, cycles.

Revision ID: 0018_pharmacy_loop
Revises: 0017_reading
"""

from __future__ import annotations

revision = "0018_pharmacy_loop"
down_revision = "0017_reading"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
