"""The queue shows what is new (issue 18): the patient's latest words, unread per staff member,
the wait since the latest text, one patient's items together, search; after a decision the
next item opens; routine enrollments are approved in bulk, each its own audited decision;
the item page hears of a colleague's decision; /api/docs works offline."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from store.db import transaction
from store.models import AuditEvent, ReviewItem, ReviewKind, ReviewStatus
from store.queue_rows import ItemRead
from tests.helpers import NOW, Phone
from tests.inbox.conftest import ADA, SQLITE_ONLY, TOM, Inbox, csrf_from, post_form, sign_in
from tests.inbox.factories import (
    XSS,
    flagged_check_in,
    new_enrollment,
    patient,
    written_item,
)

HOUR = dt.timedelta(hours=1)


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="item-link" href="/inbox/items/(\d+)"', html)]


def row_of(html: str, item_id: int) -> str:
    found = re.search(rf'<tr [^>]*data-item-id="{item_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for item {item_id}"
    return found.group(1)


@SQLITE_ONLY
def test_a_row_shows_the_latest_words_escaped_and_the_wait_since_them(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item = written_item(
            s, inbox.ids["main"], "Is it ready?", margaret, created_at=NOW - 5 * HOUR
        )
        stranger = written_item(s, inbox.ids["main"], "Who is this? <i>", phone="+19175550042")
    inbox.clock.at = NOW - 2 * HOUR
    Phone(inbox.client, margaret.phone).text(f"I feel a bit dizzy {XSS}")
    inbox.clock.at = NOW
    inbox.sign_in()
    html = inbox.client.get("/inbox").text
    assert "Who is this? &lt;i&gt;" in row_of(html, stranger.id)  # a number with no patient
    row = row_of(html, item.id)
    assert "I feel a bit dizzy &lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert XSS not in row and "Is it ready?" not in row
    assert "2 h" in row  # from the latest text, not the item's five hours


def test_unread_is_per_staff_member_and_returns_with_a_new_text(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item = written_item(s, inbox.ids["main"], "Please call me", margaret)
    dana = inbox.sign_in()
    tom = inbox.new_client()
    sign_in(tom, TOM)
    assert "badge unread" in row_of(dana.get("/inbox").text, item.id)
    assert dana.get(f"/inbox/items/{item.id}").status_code == 200
    assert "badge unread" not in row_of(dana.get("/inbox").text, item.id)
    assert "badge unread" in row_of(tom.get("/inbox").text, item.id)  # Tom has not read it
    dana.get(f"/inbox/items/{item.id}")  # opening again keeps one row per person and item
    with transaction(inbox.sessions) as s:
        assert s.scalar(select(func.count()).select_from(ItemRead)) == 1
    Phone(inbox.client, margaret.phone).text("Hello again")
    assert "badge unread" in row_of(dana.get("/inbox").text, item.id)
    news = dana.get(f"/inbox/items/{item.id}/live").text
    assert "The patient wrote 1 new text since you opened this item" in news


@SQLITE_ONLY
def test_one_patients_items_sit_together(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        first = flagged_check_in(s, margaret, created_at=NOW - 3 * HOUR).id
        other = written_item(s, inbox.ids["main"], "help", created_at=NOW - 2 * HOUR).id
        second = written_item(
            s, inbox.ids["main"], "and me", margaret, created_at=NOW - 1 * HOUR
        ).id
    inbox.sign_in()
    html = inbox.client.get("/inbox").text
    assert shown_ids(html) == [first, second, other]
    assert "Same patient" in row_of(html, second)
    assert "Margaret" in row_of(html, first)


def test_search_by_name_phone_or_patient_id(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = flagged_check_in(s, patient(s, "P1001")).id
        jose = new_enrollment(s, patient(s, "P1002")).id
        stranger = written_item(s, inbox.ids["main"], "who is this", phone="+19175550042").id
    inbox.sign_in()

    def found(query: str) -> list[int]:
        response = inbox.client.get("/inbox", params={"q": query})
        assert response.status_code == 200
        return shown_ids(response.text)

    assert found("okafor") == [margaret]
    assert found("Margaret OKA") == [margaret]
    assert found("p1002") == [jose]
    assert found("(212) 555-0123") == [margaret]  # P1001's number, typed as staff write it
    assert found("0042") == [stranger]
    assert found("%") == [] and found("_") == []  # wildcards are plain characters
    empty = inbox.client.get("/inbox", params={"q": "nobody-by-this-name"})
    assert "No item matches that search." in empty.text
    assert found("x" * 500) == []  # long input is cut, not an error


@SQLITE_ONLY
def test_after_a_decision_the_next_item_opens(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        first = new_enrollment(s, patient(s, "P1002"), created_at=NOW - 2 * HOUR).id
        second = new_enrollment(s, patient(s, "P1003"), created_at=NOW - HOUR).id
    inbox.sign_in()
    page = f"/inbox/items/{first}"
    answer = post_form(inbox.client, page, f"{page}/approve")
    assert answer.status_code == 303 and answer.headers["location"] == f"/inbox/items/{second}"
    page = f"/inbox/items/{second}"
    answer = post_form(inbox.client, page, f"{page}/anchor-day", day="9")
    assert answer.headers["location"] == page  # not a decision: stay on the item
    answer = post_form(inbox.client, page, f"{page}/approve")
    # Lan's expired metoprolol: approval opened its renewal item, which comes next.
    with transaction(inbox.sessions) as s:
        renewal = s.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.RENEWAL)).one()
        renewal_id = renewal.id
    assert answer.headers["location"] == f"/inbox/items/{renewal_id}"
    page = f"/inbox/items/{renewal_id}"
    answer = post_form(inbox.client, page, f"{page}/done", note="renewed by phone")
    assert answer.headers["location"] == "/inbox"  # nothing left
    nothing = inbox.client.get(f"/inbox/items/{first}/next", follow_redirects=False)
    assert nothing.headers["location"] == "/inbox"


@SQLITE_ONLY
def test_next_and_previous_follow_the_queue_order(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        flagged = flagged_check_in(s, patient(s, "P1001"), created_at=NOW - HOUR).id
        routine = new_enrollment(s, patient(s, "P1002"), created_at=NOW - 2 * HOUR).id
    inbox.sign_in()
    go = inbox.client.get
    assert go(f"/inbox/items/{flagged}/next", follow_redirects=False).headers["location"] == (
        f"/inbox/items/{routine}"
    )
    assert go(f"/inbox/items/{routine}/previous", follow_redirects=False).headers["location"] == (
        f"/inbox/items/{flagged}"
    )
    assert go(f"/inbox/items/{routine}/next", follow_redirects=False).headers["location"] == (
        f"/inbox/items/{flagged}"  # round again
    )


def test_bulk_approval_of_routine_enrollments_is_one_audited_decision_each(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        routine = [new_enrollment(s, patient(s, p)).id for p in ("P1002", "P1003", "P1004")]
        flagged = flagged_check_in(s, patient(s, "P1001")).id
        held = new_enrollment(s, patient(s, "P1005")).id
        written_item(s, inbox.ids["main"], "chest pain", patient(s, "P1005"))  # flagged
    inbox.sign_in()
    html = inbox.client.get("/inbox").text
    offered = [int(i) for i in re.findall(r'name="item" value="(\d+)"', html)]
    assert sorted(offered) == sorted(routine)  # not the flagged one, not P1005's enrollment
    technician = inbox.new_client()
    sign_in(technician, TOM)
    refused = technician.post(
        "/inbox/bulk-approve",
        data={"csrf_token": csrf_from(technician.get("/inbox").text), "item": routine},
        follow_redirects=False,
    )
    # The role policy (issue 17): a refusal answers 403 with the policy's sentence and is
    # audited as refused; nothing is approved.
    assert refused.status_code == 403
    assert "Only a pharmacist or an admin may approve or decline" in refused.text
    with transaction(inbox.sessions) as s:
        refusals = select(AuditEvent.id).where(AuditEvent.outcome == "refused")
        assert len(s.scalars(refusals).all()) == 1
    answer = inbox.client.post(
        "/inbox/bulk-approve",
        data={"csrf_token": csrf_from(html), "item": [*routine, flagged, held, "junk"]},
        follow_redirects=True,
    )
    assert "Approved 3 routine enrollments, each recorded." in answer.text
    assert f"#{flagged} is not a routine enrollment" in answer.text
    with transaction(inbox.sessions) as s:
        statuses = dict(s.execute(select(ReviewItem.id, ReviewItem.status)).all())
        assert [statuses[i] for i in routine] == [ReviewStatus.APPROVED] * 3
        assert statuses[flagged] == statuses[held] == ReviewStatus.PENDING
        audited = s.scalars(select(AuditEvent.subject).where(AuditEvent.action == "approve")).all()
        assert sorted(audited) == sorted(f"review_item:{i}" for i in routine)
    assert len(inbox.jobs.sent) == 3  # each patient is texted their pickup day


@SQLITE_ONLY
def test_an_open_item_hears_of_a_colleagues_decision(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item = written_item(s, inbox.ids["main"], "call me", patient(s, "P1001")).id
        after = written_item(s, inbox.ids["main"], "me too", patient(s, "P1002")).id
    dana = inbox.sign_in()
    dana.get(f"/inbox/items/{item}")
    assert dana.get(f"/inbox/items/{item}/live").text.strip() == ""
    ada = inbox.new_client()
    sign_in(ada, ADA)
    page = f"/inbox/items/{item}"
    post_form(ada, page, f"{page}/done", note="Called back.")
    news = dana.get(f"/inbox/items/{item}/live").text
    assert "While you were looking, Ada Admin closed this item" in news
    assert f'href="/inbox/items/{after}" rel="next"' in news
    assert "data-decided" in news and f'data-item="{item}"' in news  # inbox.js scopes to it


@SQLITE_ONLY
def test_the_live_stream_needs_a_signed_in_user(inbox: Inbox) -> None:
    answer = inbox.client.get("/inbox/events", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@SQLITE_ONLY
def test_api_docs_load_swagger_from_the_package(inbox: Inbox) -> None:
    html = inbox.client.get("/api/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/inbox/vendor/swagger-ui/") for a in assets)
    assert "cdn" not in html.lower()
    for asset in assets:
        assert inbox.client.get(asset).status_code == 200
    for script in ("htmx.min.js", "htmx-ext-sse.min.js"):
        assert inbox.client.get(f"/static/inbox/vendor/{script}").status_code == 200


@SQLITE_ONLY
def test_live_reloads_do_not_keep_an_unattended_screen_signed_in(inbox: Inbox) -> None:
    browser = inbox.sign_in()
    for _ in range(2):  # texts keep arriving; nobody touches the screen
        inbox.clock.advance(minutes=7)
        reload = browser.get("/inbox", headers={"HX-Request": "true"}, follow_redirects=False)
        assert reload.status_code == 200
    inbox.clock.advance(minutes=2)  # 16 minutes since the person was last there
    gone = browser.get("/inbox", headers={"HX-Request": "true"}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
