"""The patient page's caregiver forms: staff record the patient's permission (audited, a
consent event with the words), the caregiver's first text goes out after the commit, the
caregiver can be removed, and bad input gets a sentence, never a 500."""

from __future__ import annotations

from sqlalchemy import select

from store import caregivers as store
from store.db import transaction
from store.models import AuditEvent, ConsentEvent, ConsentKind, Message
from tests.inbox.conftest import UMA, Inbox, cheap_hashes, inbox, post_form, sign_in
from tests.inbox.factories import XSS, patient

__all__ = ["cheap_hashes", "inbox"]  # the inbox fixtures, shared with tests/inbox

ANN = "+16175550199"


def margaret_page(box: Inbox) -> tuple[int, str]:
    with transaction(box.sessions) as s:
        margaret_id = patient(s, "P1001").id
    return margaret_id, f"/patients/{margaret_id}"


def test_staff_add_a_caregiver_on_the_patient_page_and_it_is_audited(inbox: Inbox) -> None:
    margaret_id, page = margaret_page(inbox)
    inbox.sign_in()
    response = post_form(
        inbox.client,
        page,
        f"{page}/caregivers",
        phone="(617) 555-0199",
        name=XSS,
        permission="patient said yes at the counter",
    )
    assert response.status_code == 303
    shown = inbox.client.get(page)
    assert "Caregiver added: that number gets this patient&#39;s texts now" in shown.text
    assert XSS not in shown.text and "&lt;script&gt;" in shown.text  # escaped
    assert shown.context["caregivers"]["standing"][0]["phone"] == "(617) 555-0199"  # type: ignore[attr-defined]
    with transaction(inbox.sessions) as s:
        (granted,) = s.scalars(
            select(ConsentEvent).where(ConsentEvent.kind == ConsentKind.CAREGIVER_GRANTED)
        ).all()
        assert (granted.wording, granted.channel) == ("patient said yes at the counter", "staff")
        assert store.history(s, margaret_id)[0][2] == "staff:dana@example.org"
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "caregiver_add")).one()
        assert audit.actor == "dana@example.org" and audit.subject == f"patient:{margaret_id}"
        welcome = s.scalars(select(Message).where(Message.phone == ANN)).one()
        assert "our staff added this number" in welcome.body
    assert inbox.jobs.sent == [welcome.id]


def test_staff_remove_a_caregiver_and_it_is_audited(inbox: Inbox) -> None:
    margaret_id, page = margaret_page(inbox)
    inbox.sign_in()
    post_form(inbox.client, page, f"{page}/caregivers", phone=ANN, permission="said yes")
    with transaction(inbox.sessions) as s:
        (caregiver,) = store.caregivers_of(s, margaret_id)
        caregiver_id = caregiver.id
    response = post_form(
        inbox.client, page, f"{page}/caregivers/{caregiver_id}/remove", reason="patient called"
    )
    assert response.status_code == 303
    assert "Caregiver removed" in inbox.client.get(page).text
    with transaction(inbox.sessions) as s:
        assert store.caregivers_of(s, margaret_id) == []
        withdrawn = s.scalars(
            select(ConsentEvent).where(ConsentEvent.kind == ConsentKind.CAREGIVER_WITHDRAWN)
        ).one()
        assert withdrawn.wording == "patient called"
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "caregiver_remove")).one()


def test_bad_input_gets_a_sentence_and_changes_nothing(inbox: Inbox) -> None:
    margaret_id, page = margaret_page(inbox)
    inbox.sign_in()
    for fields, sentence in (
        ({"phone": "not a number", "permission": "yes"}, "is not a phone number"),
        ({"phone": "555", "permission": "yes"}, "not a valid phone number"),
        ({"phone": "", "permission": "yes"}, "Give the caregiver&#39;s mobile number"),
        ({"phone": ANN, "permission": "  "}, "Say how the patient gave permission"),
        ({"phone": "(212) 555-0123", "permission": "yes"}, "the patient&#39;s own phone number"),
    ):
        response = post_form(inbox.client, page, f"{page}/caregivers", **fields)
        assert response.status_code == 303
        assert sentence in inbox.client.get(page).text, sentence
    assert post_form(inbox.client, page, f"{page}/caregivers/999/remove").status_code == 404
    with transaction(inbox.sessions) as s:
        assert store.history(s, margaret_id) == []
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action == "caregiver_add")).all()


def test_staff_of_another_pharmacy_cannot_add_a_caregiver(inbox: Inbox) -> None:
    margaret_id, page = margaret_page(inbox)
    sign_in(inbox.client, UMA)
    token_page = inbox.client.get("/inbox")
    assert token_page.status_code == 200
    response = post_form(inbox.client, "/inbox", f"{page}/caregivers", phone=ANN, permission="y")
    assert response.status_code == 404
    with transaction(inbox.sessions) as s:
        assert store.history(s, margaret_id) == []
