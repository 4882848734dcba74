"""Issue 15 (reading answers): the patient's words kept with every answer, and what an
automated text asks.

- check_in.words, assessment_response.words: question id -> the text (or speech) the answer
  was read from, so a pharmacist sees "No - wrote: 'no hospital but my doctor added
  lisinopril'". Rows from before have none ('{}').
- message.asks: for a queued automated question, the point of the conversation it asks
  ("check_in:hospital:12:2026-12-15"); the send job drops it when the patient has answered
  it by the time sending hours allow it (bot/outreach/outbound.py).

Revision ID: 0017_reading
Revises: 0016_import_flags
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_reading"
down_revision = "0016_import_flags"
branch_labels = None
depends_on = None

EMPTY = sa.text("'{}'")


def upgrade() -> None:
    with op.batch_alter_table("check_in") as batch:
        batch.add_column(sa.Column("words", sa.JSON(), nullable=False, server_default=EMPTY))
    with op.batch_alter_table("assessment_response") as batch:
        batch.add_column(sa.Column("words", sa.JSON(), nullable=False, server_default=EMPTY))
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("asks", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("asks")
    with op.batch_alter_table("assessment_response") as batch:
        batch.drop_column("words")
    with op.batch_alter_table("check_in") as batch:
        batch.drop_column("words")
