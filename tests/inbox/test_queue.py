"""The queue: its order, filters, counts per kind, key paging, scope, and 10,000 items."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import insert

from store import inbox as store
from store.db import transaction
from store.models import ReviewItem, ReviewKind, ReviewStatus
from tests.helpers import NOW
from tests.inbox.conftest import ADA, TOM, UMA, Inbox, sign_in
from tests.inbox.factories import flagged_check_in, new_enrollment, patient, written_item


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="item-link" href="/inbox/items/(\d+)"', html)]


def test_pending_first_flagged_before_routine_oldest_first(inbox: Inbox) -> None:
    hour = dt.timedelta(hours=1)
    with transaction(inbox.sessions) as s:
        main = inbox.ids["main"]
        routine_old = new_enrollment(s, patient(s, "P1002"), created_at=NOW - 5 * hour).id
        flagged_new = flagged_check_in(s, patient(s, "P1001"), created_at=NOW - hour).id
        flagged_old = written_item(s, main, "help", created_at=NOW - 3 * hour).id
        decided = written_item(s, main, "thanks", created_at=NOW - 9 * hour)
        decided.status = ReviewStatus.DONE
        routine_new = written_item(s, main, "hi", priority=1, created_at=NOW - 2 * hour).id
    inbox.sign_in()
    assert shown_ids(inbox.client.get("/inbox").text) == [
        flagged_old,
        flagged_new,
        routine_old,
        routine_new,
    ]
    everything = shown_ids(inbox.client.get("/inbox?status=all").text)
    assert everything == [flagged_old, flagged_new, routine_old, routine_new, decided.id]
    assert shown_ids(inbox.client.get("/inbox?status=done").text) == [decided.id]


def test_filters_by_kind_with_counts_per_kind(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        check_in = flagged_check_in(s, patient(s, "P1001")).id
        enrollment = new_enrollment(s, patient(s, "P1002")).id
        written_item(s, inbox.ids["main"], "call me", kind=ReviewKind.CALL_BACK)
        written_item(s, inbox.ids["main"], "call me too", kind=ReviewKind.CALL_BACK)
    inbox.sign_in()
    response = inbox.client.get("/inbox?kind=flagged_check_in")
    assert shown_ids(response.text) == [check_in]
    counts = response.context["counts"]  # type: ignore[attr-defined]
    assert counts[ReviewKind.FLAGGED_CHECK_IN] == 1
    assert counts[ReviewKind.NEW_ENROLLMENT] == 1
    assert counts[ReviewKind.CALL_BACK] == 2
    assert counts[ReviewKind.NO_ANSWER] == 0
    assert response.context["total"] == 4  # type: ignore[attr-defined]
    assert shown_ids(inbox.client.get("/inbox?kind=new_enrollment").text) == [enrollment]
    assert len(shown_ids(inbox.client.get("/inbox?kind=call_back").text)) == 2


def test_a_user_sees_only_their_pharmacies_and_an_admin_sees_all(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        ours = flagged_check_in(s, patient(s, "P1001")).id
        theirs = written_item(s, inbox.ids["uptown"], "uptown note").id
    inbox.sign_in()
    assert shown_ids(inbox.client.get("/inbox").text) == [ours]
    # Asking for another pharmacy's queue shows one's own, with a sentence, not theirs.
    response = inbox.client.get(f"/inbox?pharmacy={inbox.ids['uptown']}")
    assert shown_ids(response.text) == [ours]
    assert "You do not belong to that pharmacy" in response.text
    uma = inbox.new_client()
    sign_in(uma, UMA)
    assert shown_ids(uma.get("/inbox").text) == [theirs]
    admin = inbox.new_client()
    sign_in(admin, ADA)
    assert sorted(shown_ids(admin.get("/inbox").text)) == sorted([ours, theirs])
    only_uptown = admin.get(f"/inbox?pharmacy={inbox.ids['uptown']}")
    assert shown_ids(only_uptown.text) == [theirs]


@pytest.mark.parametrize(
    "query",
    [
        "kind=nonsense",
        "status=maybe",
        "pharmacy=abc",
        "pharmacy=99999999999999999999",
        "after=not-a-cursor",
        "before=1_2_3",
        "after=0_0_99999999999999999999999_1",
        "kind=%00",
        "after=0_0_1_99999999999999",
        "status=pending%00",
    ],
)
def test_odd_filters_get_a_page_not_an_error(inbox: Inbox, query: str) -> None:
    inbox.sign_in(TOM)
    response = inbox.client.get(f"/inbox?{query}")
    assert response.status_code == 200


def test_pages_forward_and_back_by_key(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        main = inbox.ids["main"]
        ids = [
            written_item(s, main, f"m{n}", created_at=NOW - dt.timedelta(minutes=200 - n)).id
            for n in range(120)
        ]
    inbox.sign_in()
    first = inbox.client.get("/inbox")
    assert shown_ids(first.text) == ids[:50]
    after = first.context["next_cursor"]  # type: ignore[attr-defined]
    assert first.context["previous_cursor"] is None  # type: ignore[attr-defined]
    second = inbox.client.get(f"/inbox?status=pending&after={after}")
    assert shown_ids(second.text) == ids[50:100]
    third = inbox.client.get(f"/inbox?after={second.context['next_cursor']}")  # type: ignore[attr-defined]
    assert shown_ids(third.text) == ids[100:]
    assert third.context["next_cursor"] is None  # type: ignore[attr-defined]
    back = inbox.client.get(f"/inbox?before={third.context['previous_cursor']}")  # type: ignore[attr-defined]
    assert shown_ids(back.text) == ids[50:100]
    back_again = inbox.client.get(f"/inbox?before={back.context['previous_cursor']}")  # type: ignore[attr-defined]
    assert shown_ids(back_again.text) == ids[:50]
    assert back_again.context["previous_cursor"] is None  # type: ignore[attr-defined]


def test_a_cursor_round_trips() -> None:
    cursor = store.Cursor(1, 0, dt.datetime(2026, 11, 29, 15, 0, 0, 123456, tzinfo=dt.UTC), 42)
    assert store.Cursor.decode(cursor.encode()) == cursor
    assert store.Cursor.decode("1_2_x_4") is None


def seed_many(inbox: Inbox, count: int) -> None:
    """`count` pending items in one INSERT: mixed kinds, a tenth flagged."""
    kinds = list(ReviewKind)
    rows = [
        {
            "pharmacy_id": inbox.ids["main"],
            "patient_id": None,
            "phone": f"+1917555{n % 10000:04d}",
            "kind": kinds[n % len(kinds)],
            "status": ReviewStatus.PENDING,
            "priority": 0 if n % 10 == 0 else 1,
            "summary": "A phone number we do not know sent a message.",
            "details": {},
            "created_at": NOW - dt.timedelta(seconds=count - n),
        }
        for n in range(count)
    ]
    with transaction(inbox.sessions) as s:
        s.execute(insert(ReviewItem), rows)


def test_ten_thousand_pending_items_open_at_once(inbox: Inbox) -> None:
    seed_many(inbox, 10_000)
    inbox.sign_in()
    first = inbox.client.get("/inbox")
    deep = inbox.client.get(f"/inbox?after={first.context['next_cursor']}")  # type: ignore[attr-defined]
    assert first.status_code == 200 and deep.status_code == 200
    assert first.context["total"] == 10_000  # type: ignore[attr-defined]
    assert len(shown_ids(first.text)) == 50
    assert sum(first.context["counts"].values()) == 10_000  # type: ignore[attr-defined]
    # Flagged first: the first page is the thousand flagged items' oldest fifty.
    assert all(row.item.priority == 0 for row in first.context["rows"])  # type: ignore[attr-defined]
    assert len(shown_ids(deep.text)) == 50
    # Timings are printed by tests/bench/inbox_queue.py, not asserted here.
