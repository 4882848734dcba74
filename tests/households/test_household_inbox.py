"""The household in the inbox: the patient page lists the members and their sync status, a
pharmacist links and unlinks with a form (audited; a technician may not), and a flagged
check-in shows the other members' items."""

from __future__ import annotations

from sqlalchemy import select

from bot.program import households
from store.db import transaction
from store.models import AuditEvent, Patient
from tests.helpers import NOW
from tests.inbox.conftest import TOM, Inbox, post_form, sign_in
from tests.inbox.factories import XSS, enroll, flagged_check_in, patient


def millers(inbox: Inbox) -> tuple[int, int]:
    with transaction(inbox.sessions) as s:
        return patient(s, "P1011").id, patient(s, "P1012").id


def test_a_pharmacist_links_the_millers_from_the_patient_page(inbox: Inbox) -> None:
    robert, linda = millers(inbox)
    with transaction(inbox.sessions) as s:
        enroll(s, patient(s, "P1011"), day=15)
    client = inbox.sign_in()
    page = client.get(f"/patients/{robert}")
    household = page.context["household"]  # type: ignore[attr-defined]
    assert household.members == []
    # Linda shares the phone: she is suggested, and the form offers her.
    assert [(p.external_id, why) for p, why in household.candidates] == [("P1012", "same phone")]
    assert 'value="P1012"' in page.text
    response = post_form(
        client, f"/patients/{robert}", f"/patients/{robert}/household/link", other="P1012"
    )
    assert response.status_code == 303
    assert "Linked as one household" in client.get(f"/patients/{robert}").text
    page = client.get(f"/patients/{linda}")
    members = page.context["household"].members  # type: ignore[attr-defined]
    assert [(m.patient.external_id, m.status) for m in members] == [
        ("P1011", "active, day 15, next pickup Dec 15, 2026"),
        ("P1012", "not enrolled"),
    ]
    assert "Robert Miller" in page.text and "active, day 15" in page.text
    with transaction(inbox.sessions) as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "household.link")).one()
        assert audit.actor == "dana@example.org"
        assert audit.after == {"members": ["P1011", "P1012"]}
    # Unlinking dissolves a household of two, audited too.
    response = post_form(client, f"/patients/{linda}", f"/patients/{linda}/household/unlink")
    assert response.status_code == 303
    assert client.get(f"/patients/{robert}").context["household"].members == []  # type: ignore[attr-defined]
    with transaction(inbox.sessions) as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "household.unlink"))


def test_bad_input_and_technicians_get_a_sentence(inbox: Inbox) -> None:
    robert, _ = millers(inbox)
    client = inbox.sign_in()
    for other, said in [
        ("", "Give the other patient&#39;s id"),
        ("P9999", "There is no patient P9999 at this pharmacy."),
        ("P1011", "A household needs two or more different patients."),
        (XSS, "There is no patient &lt;script&gt;"),
    ]:
        response = post_form(
            client, f"/patients/{robert}", f"/patients/{robert}/household/link", other=other
        )
        assert response.status_code == 303
        page = client.get(f"/patients/{robert}").text
        assert said in page, other
        assert XSS not in page
    technician = inbox.new_client()
    sign_in(technician, TOM)
    response = post_form(
        technician, f"/patients/{robert}", f"/patients/{robert}/household/link", other="P1012"
    )
    assert response.status_code == 403
    assert "Only a pharmacist or an admin may link or unlink a household." in response.text
    assert "/household/link" not in technician.get(f"/patients/{robert}").text
    with transaction(inbox.sessions) as s:
        assert households.members(s, s.get(Patient, robert)) == []  # type: ignore[arg-type]


def test_a_flagged_check_in_shows_the_other_members_items(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        robert, linda = patient(s, "P1011"), patient(s, "P1012")
        robert_item = flagged_check_in(s, robert).id
        linda_item = flagged_check_in(s, linda).id
        households.link(s, [robert, linda], "staff:test", NOW)
    client = inbox.sign_in()
    page = client.get(f"/inbox/items/{robert_item}")
    assert page.status_code == 200
    members = page.context["household"].members  # type: ignore[attr-defined]
    linda_member = next(m for m in members if m.patient.external_id == "P1012")
    assert [i.id for i in linda_member.open_items] == [linda_item]
    assert f'href="/inbox/items/{linda_item}"' in page.text
    assert "check-in for" in page.text and "flagged" in page.text
    assert "/household/link" not in page.text  # the forms are on the patient page


def test_the_patient_page_suggests_patients_at_the_same_address(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret, lan = patient(s, "P1001"), patient(s, "P1003")
        margaret.address = "12 Elm Street, Apt 4, Columbus, OH 43215"
        lan.address = "12 ELM ST APT 4 COLUMBUS OH 43215"
        patient(s, "P1004").address = "12 Elm Street, Apt 5, Columbus, OH 43215"
        margaret_id = margaret.id
    client = inbox.sign_in()
    page = client.get(f"/patients/{margaret_id}")
    candidates = page.context["household"].candidates  # type: ignore[attr-defined]
    assert [(p.external_id, why) for p, why in candidates] == [("P1003", "same address")]
    assert "12 Elm" not in page.text.split('id="household"')[1].split("</section>")[0]
