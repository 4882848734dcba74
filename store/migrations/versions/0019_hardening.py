"""Issue 17 (hardening), first part: the audit chain and the app's database role.

Revision ID: 0019_hardening
Revises: 0018_open_days
"""

from __future__ import annotations

revision = "0019_hardening"
down_revision = "0018_open_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
