"""Issue 18 (the inbox): threads, unread marks, saved replies.

Revision ID: 0020_inbox
Revises: 0019_staff
"""

from __future__ import annotations

revision = "0020_inbox"
down_revision = "0019_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
