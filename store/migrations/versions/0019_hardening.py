"""Issue 17 (hardening), first part: the audit chain and the app's database role.

- audit_event gains its pharmacy's chain, its position in it, the outcome (ok, refused,
  not_found), the patients it showed, and the chained SHA-256 (store/audit.py); the rows
  already there are chained in id order, each in the chain of the pharmacy its subject
  names. audit_chain holds each chain's head, which writers lock.
- PostgreSQL only: TRUNCATE of an append-only table (audit, consents, caregiver consents,
  caregiver phone opt-outs) is refused by a trigger, whoever asks; and the role the app
  serves as (MEDSYNC_APP_ROLE, default medsync_app) is created if missing and granted
  what serving needs: read and write everywhere, except that the append-only tables take
  INSERT and SELECT only, and alembic_version SELECT only. Tables later migrations make
  get the same grants (ALTER DEFAULT PRIVILEGES). The owner (who runs `medsync db upgrade`)
  keeps ownership; see docs/DEPLOY.md.

Revision ID: 0019_hardening
Revises: 0018_open_days
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

from store.audit import GENESIS, canonical

revision = "0019_hardening"
down_revision = "0018_open_days"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_event", "consent_event", "caregiver_consent", "caregiver_phone_event")
NEW_COLUMNS = ("chain", "seq", "outcome", "patients", "chain_hash")


def app_role() -> str:
    name = os.environ.get("MEDSYNC_APP_ROLE", "medsync_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"MEDSYNC_APP_ROLE must be a plain lower-case role name, not {name!r}")
    return name


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("chain", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        batch.add_column(sa.Column("patients", sa.Text(), nullable=True))
        batch.add_column(sa.Column("chain_hash", sa.String(64), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # migration 0002's trigger refuses UPDATE, rightly, except for this once
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    _chain_the_rows_already_there()
    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    with op.batch_alter_table("audit_event") as batch:
        for name, kind in (
            ("chain", sa.Integer()),
            ("seq", sa.Integer()),
            ("outcome", sa.String(16)),
            ("chain_hash", sa.String(64)),
        ):
            batch.alter_column(name, existing_type=kind, nullable=False)
        batch.create_unique_constraint("uq_audit_event_chain_seq", ["chain", "seq"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor", "id"])
    if postgres:
        _refuse_truncate()
        _grant_app_role()


def _chain_the_rows_already_there() -> None:
    bind = op.get_bind()
    pharmacy_of_patient: dict[Any, Any] = {
        row.id: row.pharmacy_id
        for row in bind.execute(sa.text("SELECT id, pharmacy_id FROM patient"))
    }
    items = {
        row.id: (row.pharmacy_id, row.patient_id)
        for row in bind.execute(sa.text("SELECT id, pharmacy_id, patient_id FROM review_item"))
    }
    table = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("subject", sa.String()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("chain", sa.Integer()),
        sa.column("seq", sa.Integer()),
        sa.column("outcome", sa.String()),
        sa.column("patients", sa.Text()),
        sa.column("chain_hash", sa.String()),
    )
    heads: dict[int, tuple[int, str]] = {}
    rows = bind.execute(
        sa.select(
            table.c.id, table.c.actor, table.c.action, table.c.subject,
            table.c.before, table.c.after, table.c.created_at,
        ).order_by(table.c.id)
    ).all()  # fmt: skip
    for row in rows:
        chain, patients = _implied(row.subject, pharmacy_of_patient, items)
        seq, previous = heads.get(chain, (0, GENESIS))
        seq += 1
        text = f" {' '.join(str(p) for p in sorted(patients))} " if patients else None
        digest = hashlib.sha256(
            canonical(
                chain=chain, seq=seq, actor=row.actor, action=row.action, subject=row.subject,
                outcome="ok", patients=text, before=row.before, after=row.after,
                created_at=row.created_at, previous=previous,
            )
        ).hexdigest()  # fmt: skip
        bind.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(chain=chain, seq=seq, outcome="ok", patients=text, chain_hash=digest)
        )
        heads[chain] = (seq, digest)
    if heads:
        bind.execute(
            sa.text("INSERT INTO audit_chain (chain, seq, head_hash) VALUES (:c, :s, :h)"),
            [{"c": c, "s": s, "h": h} for c, (s, h) in heads.items()],
        )


def _implied(
    subject: str, pharmacy_of_patient: dict[Any, Any], items: dict[Any, tuple[Any, Any]]
) -> tuple[int, set[int]]:
    kind, _, number = (subject or "").partition(":")
    if not number.isdigit() or len(number) > 10:
        return 0, set()
    key = int(number)
    if kind == "patient" and key in pharmacy_of_patient:
        return int(pharmacy_of_patient[key]), {key}
    if kind == "review_item" and key in items:
        pharmacy_id, patient_id = items[key]
        return int(pharmacy_id), ({int(patient_id)} if patient_id else set())
    if kind == "pharmacy":
        return key, set()
    return 0, set()


def _refuse_truncate() -> None:
    op.execute(
        """
        CREATE FUNCTION medsync_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% records are append-only: TRUNCATE is refused', TG_TABLE_NAME;
        END $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION medsync_refuse_truncate()"
        )


def _schema() -> str:
    name = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return '"' + str(name).replace('"', '""') + '"'


def _grant_app_role() -> None:
    role, schema = app_role(), _schema()
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                BEGIN
                    CREATE ROLE {role} LOGIN;
                EXCEPTION
                    WHEN duplicate_object OR unique_violation THEN
                        NULL;  -- another database's migration made it a moment ago
                    WHEN insufficient_privilege THEN
                        RAISE EXCEPTION 'The role {role} does not exist and % may not create '
                            'roles: create it first (CREATE ROLE {role} LOGIN PASSWORD ...), '
                            'see DEPLOY.md', current_user;
                END;
            END IF;
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}"
    )
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(APPEND_ONLY)} FROM {role}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        role, schema = app_role(), _schema()
        exists = (
            op.get_bind()
            .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            .first()
        )
        if exists:  # the role stays: other databases on the server may serve as it
            op.execute(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
                f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {role}"
            )
            op.execute(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
                f"REVOKE USAGE, SELECT ON SEQUENCES FROM {role}"
            )
            op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
            op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}")
            op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {role}")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION medsync_refuse_truncate()")
    op.drop_index("ix_audit_event_actor", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint("uq_audit_event_chain_seq", type_="unique")
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
    op.drop_table("audit_chain")
