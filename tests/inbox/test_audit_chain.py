"""Issue 17, finding "the audit trail can be erased or rewritten": each row is chained to the
one before it in its pharmacy's chain, `medsync audit verify` names the first broken row,
and on PostgreSQL the app's role cannot update, delete or truncate the trail (nor consents),
and a trigger refuses TRUNCATE to anyone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, make_url, select, text
from sqlalchemy.exc import DBAPIError

from bot.cli.main import main
from bot.web.app import create_app
from store import audit
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditChain, AuditEvent
from tests.helpers import NOW
from tests.inbox import factories
from tests.inbox.conftest import (
    DANA,
    SQLITE_ONLY,
    Inbox,
    RecordingJobs,
    post_form,
    settings_for,
    sign_in,
)

APP_ROLE = "medsync_app"


def app_role_url(owner_url: str) -> str:
    """The same database, signed in as the role the app serves as (migration 0019)."""
    return make_url(owner_url).set(username=APP_ROLE).render_as_string(hide_password=False)


def _write(inbox: Inbox, count: int, pharmacy_id: int | None = None) -> None:
    with transaction(inbox.sessions) as s:
        for n in range(count):
            audit.record(
                s, f"writer{n}@example.org", "view_patient", "patient:1", NOW,
                after={"n": n, "é": "ü"}, pharmacy_id=pharmacy_id,
            )  # fmt: skip


def _verify(cli: Inbox, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", *args])
    return result.exit_code, result.output


def test_audit_verify_passes_an_intact_trail_pharmacy_by_pharmacy(cli: Inbox) -> None:
    cli.sign_in(DANA)
    cli.client.get(f"/patients/{cli.ids['una']}")  # Uptown's: refused, and audited
    _write(cli, 3)
    code, out = _verify(cli)
    assert code == 0, out
    assert "Main Street Pharmacy:" in out and "intact" in out
    assert "no pharmacy (accounts):" in out  # the sign-in
    with transaction(cli.sessions) as s:
        chains = {c.chain: c.seq for c in s.scalars(select(AuditChain))}
        assert chains[cli.ids["main"]] >= 3
        uptown = s.scalars(select(AuditEvent).where(AuditEvent.chain == cli.ids["uptown"])).all()
        # The refused attempt is in the chain of the pharmacy whose record was asked for.
        assert [e.outcome for e in uptown] == ["not_found"]
    code, out = _verify(cli, "--pharmacy", "Main Street Pharmacy")
    assert code == 0 and "Uptown" not in out


@SQLITE_ONLY
def test_sqlite_update_of_audit_row_is_detected_by_verify(cli: Inbox) -> None:
    _write(cli, 5)
    with transaction(cli.sessions) as s:
        third = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id).offset(2)).first()
    engine = make_engine(cli.url)
    with engine.begin() as conn:  # what anyone with the file can do
        conn.execute(text("UPDATE audit_event SET actor = 'nobody' WHERE id = :i"), {"i": third})
    engine.dispose()
    code, out = _verify(cli)
    assert code == 1
    assert f"row #{third} (position 3) does not match its hash" in out
    assert "BROKEN after 2 good rows" in out


@SQLITE_ONLY
def test_sqlite_delete_of_audit_row_is_detected_by_verify(cli: Inbox) -> None:
    _write(cli, 4)
    with transaction(cli.sessions) as s:
        ids = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    engine = make_engine(cli.url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": ids[1]})
    code, out = _verify(cli)
    assert code == 1 and f"row #{ids[2]} is at position 3 where 2 was expected" in out
    with engine.begin() as conn:  # the tail: the head remembers how long the chain was
        conn.execute(text("DELETE FROM audit_event WHERE id >= :i"), {"i": ids[1]})
    engine.dispose()
    code, out = _verify(cli)
    assert code == 1 and "the last rows were removed" in out


@SQLITE_ONLY
def test_sqlite_forged_row_with_a_made_up_hash_is_detected_by_verify(cli: Inbox) -> None:
    _write(cli, 2)
    engine = make_engine(cli.url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (actor, action, subject, created_at, chain, seq, "
                "outcome, chain_hash) SELECT 'x', 'approve', 'patient:1', created_at, chain, "
                "3, 'ok', :h FROM audit_event WHERE seq = 2 AND chain = :c"
            ),
            {"h": "f" * 64, "c": cli.ids["main"]},
        )
    engine.dispose()
    code, out = _verify(cli)
    assert code == 1 and "(position 3) does not match its hash" in out


def test_rows_added_without_record_are_chained_too(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        s.add(AuditEvent(actor="a", action="x", subject="pharmacy:1", created_at=NOW))
        audit.record(s, "b", "y", "pharmacy:1", NOW)
    with transaction(inbox.sessions) as s:
        report = audit.verify(s, 1)
    assert report.intact and report.rows == 2


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_writers_chain_one_after_another_on_postgresql(inbox: Inbox) -> None:
    """Eight threads at once on one pharmacy's chain: the head's row lock serialises them."""
    engine = make_engine(app_role_url(inbox.url), pool_size=8)
    sessions = make_sessionmaker(engine)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(5):
                with transaction(sessions) as s:
                    audit.record(s, f"w{n}", "view_queue", "queue", NOW, pharmacy_id=1,
                                 after={"k": k})  # fmt: skip
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == []
    with transaction(inbox.sessions) as s:
        report = audit.verify(s, 1)
        assert report.intact, report.problem
        assert report.rows == 40 == s.scalar(select(func.count()).select_from(AuditEvent))


# ------------------------------------------------------------------ PostgreSQL's own guards


def _refused(url: str, statement: str) -> str:
    engine = make_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    return str(caught.value.orig)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_truncate_audit_refused_on_postgresql(inbox: Inbox) -> None:
    _write(inbox, 2)
    app = app_role_url(inbox.url)
    assert "permission denied" in _refused(app, "TRUNCATE audit_event")
    # The owner (who runs the migrations) is refused by the trigger.
    assert "TRUNCATE is refused" in _refused(inbox.url, "TRUNCATE audit_event")
    assert "TRUNCATE is refused" in _refused(inbox.url, "TRUNCATE patient CASCADE")
    with transaction(inbox.sessions) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_app_role_cannot_update_or_delete_audit_on_postgresql(inbox: Inbox) -> None:
    _write(inbox, 1)
    app = app_role_url(inbox.url)
    assert "permission denied" in _refused(app, "UPDATE audit_event SET actor = 'nobody'")
    assert "permission denied" in _refused(app, "DELETE FROM audit_event")


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_app_role_cannot_rewrite_consents_or_opt_outs_on_postgresql(inbox: Inbox) -> None:
    app = app_role_url(inbox.url)
    for table in ("consent_event", "caregiver_consent", "caregiver_phone_event"):
        assert "permission denied" in _refused(app, f"DELETE FROM {table}")
        assert "permission denied" in _refused(app, f"TRUNCATE {table}")
        assert "TRUNCATE is refused" in _refused(inbox.url, f"TRUNCATE {table} CASCADE")
    assert "permission denied" in _refused(app, "UPDATE consent_event SET wording = ''")
    assert "permission denied" in _refused(app, "DELETE FROM alembic_version")


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_inbox_serves_as_the_app_role_on_postgresql(inbox: Inbox) -> None:
    """What serving needs, the app role has: sign in, read, decide, and chain the audit."""
    with transaction(inbox.sessions) as s:
        person = factories.patient(s, "P1001")
        item = factories.flagged_check_in(s, person)
    app = create_app(settings_for(app_role_url(inbox.url)), clock=inbox.clock, jobs=RecordingJobs())
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, DANA)
        assert client.get("/inbox").status_code == 200
        assert client.get(f"/inbox/items/{item.id}").status_code == 200
        assert client.get(f"/patients/{inbox.ids['una']}").status_code == 404
        page = f"/inbox/items/{item.id}"
        assert post_form(client, page, f"{page}/approve", note="ok").status_code == 303
    with transaction(inbox.sessions) as s:
        for chain in audit.chains(s):
            assert audit.verify(s, chain).intact
        outcomes = s.scalars(select(AuditEvent.outcome)).all()
    assert "not_found" in outcomes and "ok" in outcomes


def test_db_upgrade_runs_as_the_owner_url_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, app = tmp_path / "owner.db", tmp_path / "app.db"
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", f"sqlite:///{app}")
    monkeypatch.setenv("MEDSYNC_OWNER_DATABASE_URL", f"sqlite:///{owner}")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert owner.exists() and not app.exists()
