"""Consent and audit records are append-only in PostgreSQL itself, not only in the ORM.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("consent_event", "audit_event")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: the ORM guard in store/models.py is the protection
    op.execute(
        """
        CREATE FUNCTION medsync_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% records are append-only', TG_TABLE_NAME;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION medsync_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION medsync_refuse_change()")
