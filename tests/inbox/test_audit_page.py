"""The audit trail page: admins read who did what, before and after; no one else does."""

from __future__ import annotations

from sqlalchemy import select

from store.db import transaction
from store.models import AuditEvent
from tests.helpers import NOW
from tests.inbox.conftest import ADA, SQLITE_ONLY, TOM, Inbox, post_form, sign_in
from tests.inbox.factories import XSS, new_enrollment, patient


def test_an_admin_reads_every_action_with_before_and_after(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001")).id
    inbox.sign_in()
    page = f"/inbox/items/{item_id}"
    post_form(inbox.client, page, f"{page}/anchor-day", day="9")
    post_form(inbox.client, page, f"{page}/approve")
    admin = inbox.new_client()
    sign_in(admin, ADA)
    response = admin.get("/audit")
    assert response.status_code == 200
    rows = [(r["event"].actor, r["event"].action) for r in response.context["rows"]]  # type: ignore[attr-defined]
    assert rows[:5] == [
        (ADA, "sign_in"),
        ("dana@example.org", "approve"),  # newest first; each form was opened (viewed) first
        ("dana@example.org", "view_review_item"),
        ("dana@example.org", "edit_anchor_day"),
        ("dana@example.org", "view_review_item"),
    ]
    assert (
        "&#34;anchor_day&#34;: 15" in response.text and "&#34;anchor_day&#34;: 9" in response.text
    )
    only_dana = admin.get("/audit?who=dana@example.org&subject=review_item:" + str(item_id))
    actions = [r["event"].action for r in only_dana.context["rows"]]  # type: ignore[attr-defined]
    assert set(actions) == {"view_review_item", "approve"}
    with transaction(inbox.sessions) as s:
        assert "view_audit" in s.scalars(select(AuditEvent.action)).all()


@SQLITE_ONLY
def test_only_admins_read_the_audit_trail(inbox: Inbox) -> None:
    inbox.sign_in(TOM)
    response = inbox.client.get("/audit")
    assert response.status_code == 403
    assert "Only an admin" in response.text
    assert "/audit" not in inbox.client.get("/inbox").text  # not in the menu either


@SQLITE_ONLY
def test_the_trail_escapes_what_it_shows_and_pages(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        s.add_all(
            AuditEvent(
                actor=XSS if n == 0 else "someone@example.org",
                action="sign_in_failed",
                subject="sign_in",
                before=None,
                after={"typed": XSS},
                created_at=NOW,
            )
            for n in range(150)
        )
    admin = inbox.new_client()
    sign_in(admin, ADA)
    first = admin.get("/audit")
    assert "<script>" not in first.text
    older = first.context["older"]  # type: ignore[attr-defined]
    assert older is not None and len(first.context["rows"]) == 100  # type: ignore[attr-defined]
    second = admin.get(f"/audit?before={older}")
    assert len(second.context["rows"]) == 51  # type: ignore[attr-defined]
    assert "&lt;script&gt;" in second.text
    assert admin.get("/audit?before=abc").status_code == 200


def test_odd_filters_on_the_trail_are_not_errors(inbox: Inbox) -> None:
    admin = inbox.new_client()
    sign_in(admin, ADA)
    assert admin.get("/audit?who=a%00b&subject=patient:%00").status_code == 200
