"""Issue 17, finding "a technician confirmed an opt-out and turned on detailed messages; no
policy says whether they may": docs/ROLES.md is bot/inbox/policy.py's table, and each line
is enforced (a refusal is a 403, changes nothing and is audited as refused)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.cli.main import main
from bot.inbox import policy
from bot.inbox.policy import Permission
from bot.program import preferences
from bot.web.tokens import create_token
from store import caregivers as caregiver_store
from store.accounts import Role, User
from store.db import transaction
from store.models import AuditEvent, Patient, ReviewItem, ReviewKind, ReviewStatus
from tests.helpers import NOW
from tests.inbox import factories
from tests.inbox.conftest import ADA, DANA, SQLITE_ONLY, TOM, Inbox, post_form, sign_in

ROOT = Path(__file__).resolve().parents[2]


def test_roles_md_is_the_policy_table() -> None:
    written = (ROOT / "docs" / "ROLES.md").read_text()
    assert policy.markdown_table() in written
    result = CliRunner().invoke(main, ["user", "roles"])
    assert result.exit_code == 0 and result.output == policy.markdown_table()


def test_every_permission_has_its_words_and_roles() -> None:
    assert set(policy.POLICY) == set(policy.WORDS) == set(Permission)
    # The lines issue 17 asks about, as decided:
    for line in (
        Permission.DECIDE,
        Permission.CONFIRM_OPT_OUT,
        Permission.ADD_CAREGIVER,
        Permission.DETAILED_MESSAGES_ON,
        Permission.LINK_HOUSEHOLDS,
        Permission.SEND_CAMPAIGNS,
    ):
        assert policy.POLICY[line] == {Role.PHARMACIST, Role.ADMIN}, line
    assert policy.POLICY[Permission.READ_AUDIT] == {Role.ADMIN}


def _refused_rows(inbox: Inbox, who: str) -> list[AuditEvent]:
    with transaction(inbox.sessions) as s:
        return list(
            s.scalars(
                select(AuditEvent).where(AuditEvent.actor == who, AuditEvent.outcome == "refused")
            )
        )


def _possible_opt_out(inbox: Inbox) -> tuple[int, int]:
    with transaction(inbox.sessions) as s:
        person = factories.patient(s, "P1001")
        item = factories.written_item(
            s, person.pharmacy_id, "stop texting me", person, kind=ReviewKind.POSSIBLE_OPT_OUT
        )
        return item.id, person.id


@SQLITE_ONLY  # the web layer is the subject
def test_a_technician_confirming_an_opt_out_is_refused_and_audited(inbox: Inbox) -> None:
    item_id, patient_id = _possible_opt_out(inbox)
    technician = inbox.sign_in(TOM)
    page = f"/inbox/items/{item_id}"
    assert f"/inbox/items/{item_id}/opt-out" not in technician.get(page).text  # no button
    response = post_form(technician, page, f"{page}/opt-out")
    assert response.status_code == 403
    assert "Only a pharmacist or an admin may confirm that a patient" in response.text
    with transaction(inbox.sessions) as s:
        assert s.get(Patient, patient_id).opted_out is False  # type: ignore[union-attr]
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]
    (row,) = _refused_rows(inbox, TOM)
    assert (row.action, row.subject, row.after["status"]) == (
        "opt_out",
        f"review_item:{item_id}",
        403,
    )  # type: ignore[index]
    assert row.patients == f" {patient_id} "
    assert row.after["reason"].startswith("Only a pharmacist or an admin may confirm")  # type: ignore[index]
    pharmacist = inbox.new_client()
    sign_in(pharmacist, DANA)
    assert post_form(pharmacist, page, f"{page}/opt-out").status_code == 303
    with transaction(inbox.sessions) as s:
        assert s.get(Patient, patient_id).opted_out is True  # type: ignore[union-attr]


@SQLITE_ONLY  # the web layer is the subject
def test_a_technician_turning_on_detailed_messages_is_refused_and_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        patient_id = factories.patient(s, "P1001").id
    page = f"/patients/{patient_id}"
    technician = inbox.sign_in(TOM)
    response = post_form(technician, page, f"{page}/preferences", detailed="yes")
    assert response.status_code == 403
    assert "turn on detailed messages" in response.text
    (row,) = _refused_rows(inbox, TOM)
    assert (row.action, row.subject) == ("change_preferences", f"patient:{patient_id}")
    # Turning them off, and the other preferences, a technician may.
    assert post_form(technician, page, f"{page}/preferences", time="morning").status_code == 303
    assert post_form(technician, page, f"{page}/preferences", detailed="no").status_code == 303
    pharmacist = inbox.new_client()
    sign_in(pharmacist, DANA)
    assert post_form(pharmacist, page, f"{page}/preferences", detailed="yes").status_code == 303
    with transaction(inbox.sessions) as s:
        patient = s.get(Patient, patient_id)
        assert patient is not None and preferences.of(s, patient).detailed is True


@SQLITE_ONLY  # the web layer is the subject
def test_a_technician_adding_a_caregiver_is_refused_and_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        patient_id = factories.patient(s, "P1001").id
    page = f"/patients/{patient_id}"
    form = {"phone": "(617) 555-0199", "permission": "said yes at the counter"}
    technician = inbox.sign_in(TOM)
    response = post_form(technician, page, f"{page}/caregivers", **form)
    assert response.status_code == 403 and "Only a pharmacist or an admin may add" in response.text
    with transaction(inbox.sessions) as s:
        assert caregiver_store.caregivers_of(s, patient_id) == []
    assert [r.action for r in _refused_rows(inbox, TOM)] == ["add_caregiver"]
    pharmacist = inbox.new_client()
    sign_in(pharmacist, DANA)
    assert post_form(pharmacist, page, f"{page}/caregivers", **form).status_code == 303
    with transaction(inbox.sessions) as s:
        (caregiver,) = caregiver_store.caregivers_of(s, patient_id)
    # Removing one lowers what is disclosed: a technician may, at the patient's word.
    removed = post_form(technician, page, f"{page}/caregivers/{caregiver.id}/remove", reason="x")
    assert removed.status_code == 303
    with transaction(inbox.sessions) as s:
        assert caregiver_store.caregivers_of(s, patient_id) == []


@SQLITE_ONLY  # the web layer is the subject
def test_a_technician_linking_a_household_is_refused_and_audited(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        robert = factories.patient(s, "P1011").id
    page = f"/patients/{robert}"
    technician = inbox.sign_in(TOM)
    for action in ("link", "unlink"):
        response = post_form(technician, page, f"{page}/household/{action}", other="P1012")
        assert response.status_code == 403, action
    assert [r.action for r in _refused_rows(inbox, TOM)] == ["link", "unlink"]


@SQLITE_ONLY  # the web layer is the subject
def test_a_technician_deciding_or_moving_the_pickup_day_is_refused_and_audited(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        person = factories.patient(s, "P1001")
        item = factories.new_enrollment(s, person)
        item_id, patient_id = item.id, person.id
    page = f"/inbox/items/{item_id}"
    technician = inbox.sign_in(TOM)
    assert post_form(technician, page, f"{page}/approve").status_code == 403
    assert post_form(technician, page, f"{page}/decline", reason="no").status_code == 403
    assert post_form(technician, page, f"{page}/anchor-day", day="3").status_code == 403
    patient_page = f"/patients/{patient_id}"
    moved = post_form(technician, patient_page, f"{patient_page}/anchor-day", day="3")
    assert moved.status_code == 403
    assert "Only a pharmacist or an admin may change a patient" in moved.text
    assert [r.action for r in _refused_rows(inbox, TOM)] == [
        "approve", "decline", "anchor_day", "change_anchor_day",
    ]  # fmt: skip
    with transaction(inbox.sessions) as s:
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]
    # Through the API, a technician's token with the decide scope is refused the same way.
    with transaction(inbox.sessions) as s:
        tom = s.scalars(select(User).where(User.email == TOM)).one()
        secret = create_token(s, tom, "tom-system", NOW)[1]
    api: TestClient = inbox.new_client()
    answer = api.post(
        f"/api/v1/review-items/{item_id}/decision",
        json={"action": "approve"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 403
    assert answer.headers["Cache-Control"] == "no-store"
    rows = _refused_rows(inbox, f"{TOM} (API token tom-system)")
    assert [r.action for r in rows] == ["decide_review_item"]


@SQLITE_ONLY  # the web layer is the subject
def test_only_admins_read_the_audit_trail_and_a_refusal_is_audited(inbox: Inbox) -> None:
    pharmacist = inbox.sign_in(DANA)
    assert pharmacist.get("/audit").status_code == 403
    assert pharmacist.get("/audit.csv").status_code == 403
    assert [r.action for r in _refused_rows(inbox, DANA)] == ["audit_trail", "audit_csv"]
    admin = inbox.new_client()
    sign_in(admin, ADA)
    assert admin.get("/audit").status_code == 200


@SQLITE_ONLY  # the web layer is the subject
def test_sending_a_campaign_as_a_technician_is_refused_and_audited(
    cli: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(main, ["campaign", "run", "Winter", "--by", TOM])
    assert result.exit_code == 1
    assert "Only a pharmacist or an admin may send a campaign" in result.output
    assert [r.action for r in _refused_rows(cli, TOM)] == ["campaign_run"]
    monkeypatch.setenv("MEDSYNC_SENDER", "console")
    result = CliRunner().invoke(
        main, ["campaign", "run", "Winter", "--by", DANA, "--pharmacy", "Main Street Pharmacy"]
    )
    # A pharmacist gets past the policy: what stops this run is that there is no such campaign.
    assert "No campaign called 'Winter'" in result.output
    assert "may send" not in result.output
