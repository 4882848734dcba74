"""Acting on items through the web inbox: approve, decline, pickup day, calls, replies,
opt-outs; each once, each audited, texts written in the same transaction and sent after."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from bot.inbox import decisions
from bot.inbox.claiming import AlreadyDecided
from bot.inbox.staff import Actor
from bot.program import preferences
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    AuditEvent,
    CheckIn,
    CheckInStatus,
    ConsentEvent,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from tests.helpers import NOW, PHARMACY_NUMBER, Phone
from tests.inbox.conftest import ADA, SQLITE_ONLY, TOM, Inbox, csrf_from, post_form, sign_in
from tests.inbox.factories import (
    flagged_check_in,
    new_enrollment,
    patient,
    renewal_item,
    written_item,
)

DRUG_WORDS = ("Lisinopril", "Atorvastatin", "Metformin", "Albuterol", "Amlodipine", "Insulin")


def item_page(item_id: int) -> str:
    return f"/inbox/items/{item_id}"


def act(inbox: Inbox, item_id: int, action: str, **fields: str):  # type: ignore[no-untyped-def]
    return post_form(inbox.client, item_page(item_id), f"{item_page(item_id)}/{action}", **fields)


def outbound(inbox: Inbox) -> list[Message]:
    with transaction(inbox.sessions) as s:
        return list(
            s.scalars(select(Message).where(Message.direction == "outbound").order_by(Message.id))
        )


def audit(inbox: Inbox, action: str) -> list[AuditEvent]:
    with transaction(inbox.sessions) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# ------------------------------------------------------------------ approve


def test_approving_a_flagged_check_in_lets_the_fill_proceed_and_tells_the_patient(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        item = flagged_check_in(s, patient(s, "P1001"))
        item_id, check_in_id = item.id, item.check_in_id
    inbox.sign_in()
    response = act(inbox, item_id, "approve", note="Discussed with the patient")
    # Decided: on to the next item, or the queue when nothing else waits (bot/inbox/triage.py).
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    page = inbox.client.get(item_page(item_id)).text
    assert "Approved: the fill proceeds" in page
    with transaction(inbox.sessions) as s:
        decided = s.get(ReviewItem, item_id)
        assert decided is not None
        assert decided.status == ReviewStatus.APPROVED
        assert decided.decided_by == "Dana Reyes" and decided.decided_at == NOW
        assert decided.decision_note == "Discussed with the patient"
        check_in = s.get(CheckIn, check_in_id)
        assert check_in is not None and check_in.status == CheckInStatus.APPROVED
    [text] = outbound(inbox)
    assert text.status == MessageStatus.QUEUED and text.channel == "sms"
    assert text.idempotency_key == f"review:{item_id}:approved"
    assert "ready for pickup on Tuesday, December 15, 2026" in text.body
    assert "STOP" in text.body
    assert not any(word in text.body for word in DRUG_WORDS)
    assert inbox.jobs.sent == [text.id]
    [event] = audit(inbox, "approve")
    assert event.actor == "dana@example.org" and event.subject == f"review_item:{item_id}"
    assert event.before == {"review_item": {"status": "pending"}, "check_in": {"status": "flagged"}}
    assert event.after is not None and event.after["check_in"] == {"status": "approved"}
    assert event.after["messages"] == [text.id]


def test_approving_a_check_in_whose_pickup_waits_on_a_renewal_does_not_say_ready(
    inbox: Inbox,
) -> None:
    """As the all-clear check-in (dialogs/check_in.py): while the prescriber is still asked for
    a renewal of that pickup, the approval text gives the day and says so, naming nothing."""
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item = flagged_check_in(s, margaret)
        summary = "Ask the prescriber to renew Metformin 500 mg tablet (RX700103)."
        s.add(renewal_item(margaret, "RX700103", dt.date(2026, 12, 15), summary=summary))
        item_id = item.id
    inbox.sign_in()
    assert act(inbox, item_id, "approve").status_code == 303
    [text] = outbound(inbox)
    assert text.body.startswith(
        "Thank you! Your pickup is on Tuesday, December 15, 2026. One of your prescriptions "
        "needs a new order from your doctor"
    )
    assert "ready" not in text.body and "Metformin" not in text.body


def test_approving_a_delivery_patients_check_in_says_it_will_be_delivered(inbox: Inbox) -> None:
    """A patient who has their medicines delivered is not told they are ready for pickup: the
    approval says what the all-clear check-in would (CHECK_IN_READY_DELIVERY)."""
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        preferences.change(s, margaret, "delivery", "yes", "staff", NOW, changed_by="test")
        item_id = flagged_check_in(s, margaret).id
    inbox.sign_in()
    assert act(inbox, item_id, "approve").status_code == 303
    [text] = outbound(inbox)
    assert text.body.startswith(
        "Thank you! We will deliver your medicines for your pickup date, Tuesday, December 15, "
        "2026."
    )


def test_approving_an_enrollment_activates_it_and_confirms_in_the_patients_language(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        jose = patient(s, "P1002")
        item_id = new_enrollment(s, jose, day=20, next_anchor=dt.date(2026, 12, 20)).id
        jose_id = jose.id
    inbox.sign_in()
    assert act(inbox, item_id, "approve").status_code == 303
    with transaction(inbox.sessions) as s:
        enrollment = s.scalars(select(Enrollment).where(Enrollment.patient_id == jose_id)).one()
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert enrollment.next_anchor_date == dt.date(2026, 12, 20)
        # Approved in time: the plan behind the day is still the one the dialog made.
        assert enrollment.planned_on is None
    [text] = outbound(inbox)
    assert text.language == "es" and text.phone == "+13055550147"
    assert "20" in text.body and "diciembre" in text.body  # Spanish, with day and date
    assert "Main Street Pharmacy" in text.body
    assert not any(word in text.body for word in DRUG_WORDS)
    assert inbox.jobs.sent == [text.id]


def test_an_enrollment_approved_too_late_moves_to_the_next_pickup(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001"), day=1, next_anchor=dt.date(2026, 12, 1)).id
    inbox.sign_in()
    act(inbox, item_id, "approve")
    with transaction(inbox.sessions) as s:
        enrollment = s.scalars(select(Enrollment)).one()
        # Dec 1 is only two days away; fills are prepared three days ahead.
        assert enrollment.next_anchor_date == dt.date(2027, 1, 1)
        assert enrollment.planned_on == dt.date(2026, 11, 29)  # the plan made again today
    # The text names the real day (issue 16): January 1 is New Year's Day, a federal holiday,
    # so the patient comes the open day before it.
    assert "Thursday, December 31, 2026" in outbound(inbox)[0].body


def test_an_opted_out_patient_is_not_texted_on_approval(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        margaret.opted_out = True
        item_id = flagged_check_in(s, margaret).id
    inbox.sign_in()
    act(inbox, item_id, "approve")
    assert outbound(inbox) == [] and inbox.jobs.sent == []
    assert "opted out of texts: call them" in inbox.client.get(item_page(item_id)).text


# ------------------------------------------------------------------ once


def test_a_double_submit_decides_once_and_says_who_decided(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    inbox.sign_in()
    token = csrf_from(inbox.client.get(item_page(item_id)).text)
    first = inbox.client.post(
        f"{item_page(item_id)}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    second = inbox.client.post(
        f"{item_page(item_id)}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert first.status_code == 303
    assert second.status_code == 409
    assert "Already approved by Dana Reyes at 10:00." in second.text
    assert len(outbound(inbox)) == 1 and len(inbox.jobs.sent) == 1
    assert len(audit(inbox, "approve")) == 1


def test_a_second_pharmacist_sees_the_first_ones_decision(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    inbox.sign_in()
    admin = inbox.new_client()
    sign_in(admin, ADA)
    # Both have the page open; Dana declines first, then Ada tries to approve.
    admin_page = admin.get(item_page(item_id)).text
    act(inbox, item_id, "decline", reason="Needs a dose review first")
    late = admin.post(
        f"{item_page(item_id)}/approve",
        data={"csrf_token": csrf_from(admin_page)},
        follow_redirects=False,
    )
    assert late.status_code == 409
    assert "Already declined by Dana Reyes at 10:00." in late.text
    with transaction(inbox.sessions) as s:
        assert s.get(ReviewItem, item_id).status == ReviewStatus.DECLINED  # type: ignore[union-attr]
        check_in = s.scalars(select(CheckIn)).one()
        assert check_in.status == CheckInStatus.FLAGGED  # the fill stays on hold
    assert outbound(inbox) == []


def _actor(user_id: int, label: str) -> Actor:
    return Actor(user_id, f"{label.lower()}@example.org", label, Role.PHARMACIST, None)


@pytest.mark.parametrize("rounds", [3])
def test_two_pharmacists_at_the_same_moment_get_one_outcome(inbox: Inbox, rounds: int) -> None:
    """Real threads, real transactions, on SQLite and PostgreSQL: one wins, one is told."""
    engine = make_engine(inbox.url)
    sessions = make_sessionmaker(engine)
    try:
        for _ in range(rounds):
            with transaction(sessions) as s:
                item_id = new_enrollment(s, _fresh_patient(s)).id
            barrier = threading.Barrier(2)
            results: dict[str, str] = {}

            def decide(
                label: str,
                action: str,
                item_id: int = item_id,
                barrier: threading.Barrier = barrier,
                results: dict[str, str] = results,
            ) -> None:
                barrier.wait()
                try:
                    with transaction(sessions) as s:
                        actor = _actor(1, label)
                        if action == "approve":
                            decisions.approve(s, actor, item_id, NOW, NOW.date(), 3)
                        else:
                            decisions.decline(s, actor, item_id, "Not now", NOW)
                    results[label] = "won"
                except AlreadyDecided as told:
                    results[label] = str(told)

            threads = [
                threading.Thread(target=decide, args=("Ann", "approve")),
                threading.Thread(target=decide, args=("Bob", "decline")),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            winners = [k for k, v in results.items() if v == "won"]
            assert len(winners) == 1, results
            loser = "Bob" if winners == ["Ann"] else "Ann"
            verb = "approved" if winners == ["Ann"] else "declined"
            assert results[loser] == f"Already {verb} by {winners[0]} at 10:00."
            with transaction(sessions) as s:
                item = s.get(ReviewItem, item_id)
                assert item is not None and item.decided_by == winners[0]
                sent = s.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.idempotency_key == f"review:{item_id}:approved")
                )
                assert sent == (1 if verb == "approved" else 0)
                decided = s.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.subject == f"review_item:{item_id}")
                )
                assert decided == 1
    finally:
        engine.dispose()


_made = iter(range(1000))


def _fresh_patient(s) -> Patient:  # type: ignore[no-untyped-def]
    n = next(_made)
    person = Patient(
        pharmacy_id=patient(s, "P1001").pharmacy_id,
        external_id=f"T{n:04d}-{id(s)}"[:60],
        first_name="Test",
        last_name=f"Patient{n}",
        phone=f"+1212555{7000 + n:04d}",
        language="en",
        opted_out=False,
        created_at=NOW,
        updated_at=NOW,
    )
    s.add(person)
    s.flush()
    return person


# ------------------------------------------------------------------ decline


def test_decline_needs_a_reason_and_texts_nobody(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001")).id
    inbox.sign_in()
    missing = act(inbox, item_id, "decline", reason="   ")
    assert missing.status_code == 400 and "give the reason" in missing.text
    assert act(inbox, item_id, "decline", reason="Plan needs the prescriber").status_code == 303
    page = inbox.client.get(item_page(item_id)).text
    assert "call the patient" in page
    with transaction(inbox.sessions) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == ReviewStatus.DECLINED
        assert item.decision_note == "Plan needs the prescriber"
        enrollment = s.scalars(select(Enrollment)).one()
        assert enrollment.status == EnrollmentStatus.PENDING_REVIEW  # kept as it was
    assert outbound(inbox) == [] and inbox.jobs.sent == []
    [event] = audit(inbox, "decline")
    assert event.after == {
        "review_item": {"status": "declined", "note": "Plan needs the prescriber"}
    }


@SQLITE_ONLY
def test_a_rejected_form_keeps_what_was_typed(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = written_item(s, inbox.ids["main"], "hello", person=patient(s, "P1001")).id
    inbox.sign_in()
    long_reply = "Please call us about your refill. " * 60  # over 1,600 characters
    response = act(inbox, item_id, "reply", body=long_reply)
    assert response.status_code == 400
    assert "1600 characters" in response.text
    assert long_reply.strip() in response.text
    assert outbound(inbox) == []


# ------------------------------------------------------------------ pickup day


@SQLITE_ONLY
@pytest.mark.parametrize("day", ["0", "29", "31", "-3", "fifteen", "", "1" * 40])
def test_a_pickup_day_outside_1_to_28_is_refused(inbox: Inbox, day: str) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001")).id
    inbox.sign_in()
    response = act(inbox, item_id, "anchor-day", day=day)
    assert response.status_code == 400 and "from 1 to 28" in response.text
    with transaction(inbox.sessions) as s:
        assert s.scalars(select(Enrollment.anchor_day)).one() == 15
    assert audit(inbox, "edit_anchor_day") == []


def test_changing_the_pickup_day_recomputes_the_next_pickup_and_is_audited(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001")).id
    inbox.sign_in()
    assert act(inbox, item_id, "anchor-day", day="2").status_code == 303
    with transaction(inbox.sessions) as s:
        enrollment = s.scalars(select(Enrollment)).one()
        assert enrollment.anchor_day == 2
        # Today is Nov 29 and fills take three days: Dec 2 is the first anchor possible, but
        # her plan on the 2nd joins every medicine on Jan 2 (visits Nov 29, Dec 2, Dec 10 for
        # the short fills): the enrollment keeps the first synced pickup, as a text would.
        assert enrollment.next_anchor_date == dt.date(2027, 1, 2)
        assert enrollment.planned_on == dt.date(2026, 11, 29)  # what the worklist plans from
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]
    [event] = audit(inbox, "edit_anchor_day")
    assert event.before == {
        "enrollment": {
            "status": "pending_review",
            "anchor_day": 15,
            "next_anchor_date": "2026-12-15",
        }
    }
    assert event.after is not None
    assert event.after["enrollment"]["next_anchor_date"] == "2027-01-02"
    # Approving now confirms the new day.
    act(inbox, item_id, "approve")
    assert "day 2 of each month" in outbound(inbox)[0].body


def test_the_patient_page_changes_the_pickup_day_too(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        flagged_check_in(s, margaret)
        patient_id = margaret.id
    inbox.sign_in()
    page = f"/patients/{patient_id}"
    assert post_form(inbox.client, page, f"{page}/anchor-day", day="20").status_code == 303
    assert "Pickup day set to day 20" in inbox.client.get(page).text
    bad = post_form(inbox.client, page, f"{page}/anchor-day", day="30")
    assert bad.status_code == 303
    assert "from 1 to 28" in inbox.client.get(page).text
    with transaction(inbox.sessions) as s:
        assert s.scalars(select(Enrollment.anchor_day)).one() == 20


def test_a_pickup_day_set_by_hand_on_a_closed_day_moves_to_the_open_day_before(
    inbox: Inbox,
) -> None:
    """Issue 16: day 25 chosen by staff on Nov 29 makes Friday Dec 25 (Christmas Day) the first
    anchor; the patient comes Thursday Dec 24, and the item page, the patient page and the
    audit trail say so. The cycle still counts from the 25th (the stored anchor)."""
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = new_enrollment(s, margaret).id
        patient_id = margaret.id
    inbox.sign_in()
    response = act(inbox, item_id, "anchor-day", day="25")
    assert response.status_code == 303
    shown = inbox.client.get(response.headers["location"]).text
    assert (
        "Pickup day set to day 25; next pickup Thu Dec 24, 2026 (moved from Fri Dec 25: "
        "the pharmacy is closed, Christmas Day; the open day before); visits before it for the "
        "short fills: Nov 29, Dec 10 (see the plan)."
    ) in shown
    assert "next pickup Thu Dec 24, 2026 (moved from Fri Dec 25, 2026: closed, Christmas Day)" in (
        shown
    )
    assert (
        "New enrollment: pickup day 25, first synced pickup Thu Dec 24, 2026 (moved from Fri Dec "
        "25, 2026: closed, Christmas Day)."
    ) in shown
    with transaction(inbox.sessions) as s:
        assert s.scalars(select(Enrollment.next_anchor_date)).one() == dt.date(2026, 12, 25)
    [event] = audit(inbox, "edit_anchor_day")
    assert event.after is not None
    assert event.after["pickup"] == {"date": "2026-12-24", "closed": "Christmas Day"}
    page = inbox.client.get(f"/patients/{patient_id}").text
    assert (
        'Thu Dec 24, 2026 <span class="muted moved">(moved from Fri Dec 25, 2026: the pharmacy '
        "is closed, Christmas Day)</span>"
    ) in page
    # The approval text names the real day too.
    act(inbox, item_id, "approve")
    assert "Dec 24" in outbound(inbox)[0].body or "December 24" in outbound(inbox)[0].body


@SQLITE_ONLY
def test_a_pickup_day_with_sync_visits_before_it_names_them(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        dorothy = patient(s, "P1005")
        flagged_check_in(s, dorothy)
        patient_id = dorothy.id
    inbox.sign_in()
    page = f"/patients/{patient_id}"
    assert post_form(inbox.client, page, f"{page}/anchor-day", day="9").status_code == 303
    assert (
        "Pickup day set to day 9; next pickup Sat Jan 9, 2027; visits before it for the short "
        "fills: Dec 6, Dec 9, Dec 18 (see the plan)."
    ) in inbox.client.get(page).text


@SQLITE_ONLY
def test_the_first_pickup_without_a_plan_moves_off_a_closed_day_too(inbox: Inbox) -> None:
    """Units: Min-jun (P1006) has one syncable medicine (no plan): the first anchor the
    pharmacy can prepare on day 25 is Christmas Day, handed out the day before."""
    from bot.program.plans import first_synced_pickup

    with transaction(inbox.sessions) as s:
        first = first_synced_pickup(patient(s, "P1006"), 25, dt.date(2026, 11, 29))
    assert (first.pickup.planned, first.pickup.actual) == (
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 24),
    )
    assert first.visits == () and first.pickup.because == "Christmas Day"
    assert first.sentence() == (
        "next pickup Thu Dec 24, 2026 (moved from Fri Dec 25: the pharmacy is closed, "
        "Christmas Day; the open day before)"
    )


# ------------------------------------------------------------------ calls, closing, opt-out


def test_a_call_closes_a_call_back_but_not_a_clinical_item(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        callback = written_item(
            s, inbox.ids["main"], "pharmacist please", person=margaret, kind=ReviewKind.CALL_BACK
        ).id
        check_in = flagged_check_in(s, margaret).id
    inbox.sign_in()
    assert act(inbox, callback, "called").status_code == 400  # a note is required
    assert act(inbox, callback, "called", note="Left a voicemail").status_code == 303
    assert (
        act(inbox, check_in, "called", note="She is fine, ER visit was a fall").status_code == 303
    )
    with transaction(inbox.sessions) as s:
        closed = s.get(ReviewItem, callback)
        assert closed is not None and closed.status == ReviewStatus.DONE
        assert closed.decision_note == "Called the patient: Left a voicemail"
        assert s.get(ReviewItem, check_in).status == ReviewStatus.PENDING  # type: ignore[union-attr]
    calls = audit(inbox, "called_patient")
    assert [c.after["note"] for c in calls if c.after] == [
        "Left a voicemail",
        "She is fine, ER visit was a fall",
    ]
    history = inbox.client.get(item_page(check_in)).text
    assert "Called the patient" in history and "ER visit was a fall" in history


def test_closing_an_unknown_sender_needs_a_reason(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = written_item(
            s, inbox.ids["main"], "wrong number?", kind=ReviewKind.UNKNOWN_SENDER
        ).id
    inbox.sign_in()
    assert act(inbox, item_id, "approve").status_code == 400  # not an enrollment or check-in
    assert act(inbox, item_id, "done", note="").status_code == 400
    assert act(inbox, item_id, "done", note="Wrong number").status_code == 303
    again = act(inbox, item_id, "done", note="Wrong number")
    assert again.status_code == 409 and "Already closed by Dana Reyes at 10:00." in again.text


def test_confirming_a_possible_opt_out_records_it_append_only(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = written_item(
            s,
            inbox.ids["main"],
            "please stop texting me",
            person=margaret,
            kind=ReviewKind.POSSIBLE_OPT_OUT,
        ).id
    inbox.sign_in()
    assert act(inbox, item_id, "opt-out").status_code == 303
    with transaction(inbox.sessions) as s:
        consent = s.scalars(select(ConsentEvent)).one()
        assert consent.kind == "opt_out" and consent.channel == "staff"
        assert consent.wording == "please stop texting me"
        assert s.scalars(select(Patient.opted_out).where(Patient.external_id == "P1001")).one()
    # Now a reply is refused: the patient said stop.
    with transaction(inbox.sessions) as s:
        other = written_item(s, inbox.ids["main"], "x", person=patient(s, "P1001")).id
    refused = act(inbox, other, "reply", body="Just checking in")
    assert refused.status_code == 403 and "opted out" in refused.text


# ------------------------------------------------------------------ replies


def test_a_reply_goes_out_and_the_answer_comes_back_to_the_same_thread(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = written_item(s, inbox.ids["main"], "is my refill ready?", person=margaret).id
    inbox.sign_in()
    response = act(inbox, item_id, "reply", body="Yes, it is ready after 2pm. <b>Thanks</b>")
    assert response.status_code == 303
    [text] = outbound(inbox)
    assert text.body == "Yes, it is ready after 2pm. <b>Thanks</b>"  # as written
    assert text.status == MessageStatus.QUEUED and text.phone == "+12125550123"
    assert text.idempotency_key is not None and text.idempotency_key.startswith(
        f"review:{item_id}:reply:"
    )
    assert inbox.jobs.sent == [text.id]
    # The patient answers by text; it lands in the same thread on the item page.
    Phone(inbox.client, "+12125550123").text("great, see you then")
    page = inbox.client.get(item_page(item_id))
    thread = [line.message.body for line in page.context["thread"]]  # type: ignore[attr-defined]
    assert thread[:2] == ["is my refill ready?", "Yes, it is ready after 2pm. <b>Thanks</b>"]
    assert "great, see you then" in thread
    assert "&lt;b&gt;Thanks&lt;/b&gt;" in page.text
    assert PHARMACY_NUMBER  # the patient texted the pharmacy's number
    [event] = audit(inbox, "reply")
    assert event.after == {"review_item": item_id, "message": text.id}


def test_a_reply_submitted_twice_is_sent_once(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = written_item(s, inbox.ids["main"], "hi", person=patient(s, "P1001")).id
    inbox.sign_in()
    html = inbox.client.get(item_page(item_id)).text
    key = re.search(r'name="reply_key" value="([^"]+)"', html)
    assert key
    form = {"csrf_token": csrf_from(html), "reply_key": key.group(1), "body": "On our way"}
    first = inbox.client.post(f"{item_page(item_id)}/reply", data=form, follow_redirects=False)
    second = inbox.client.post(f"{item_page(item_id)}/reply", data=form, follow_redirects=False)
    assert first.status_code == 303
    assert second.status_code == 409 and "already sent" in second.text
    assert len(outbound(inbox)) == 1


@SQLITE_ONLY
def test_a_technician_replies_and_logs_calls_but_does_not_approve(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "P1001")).id
    inbox.sign_in(TOM)
    refused = act(inbox, item_id, "approve")
    assert refused.status_code == 403 and "Only a pharmacist" in refused.text
    assert act(inbox, item_id, "decline", reason="x").status_code == 403
    assert act(inbox, item_id, "reply", body="A pharmacist will call you today.").status_code == 303
    with transaction(inbox.sessions) as s:
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]


def test_acting_on_another_pharmacys_item_is_not_found(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        item_id = flagged_check_in(s, patient(s, "U9001")).id
    inbox.sign_in()
    token = csrf_from(inbox.client.get("/inbox").text)
    response = inbox.client.post(
        f"{item_page(item_id)}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 404
    with transaction(inbox.sessions) as s:
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]


# ------------------------------------------------------------------ CSRF


FORMS = ["approve", "decline", "called", "done", "opt-out", "reply", "anchor-day"]


@SQLITE_ONLY
@pytest.mark.parametrize("action", FORMS)
def test_every_form_that_changes_something_needs_the_csrf_token(inbox: Inbox, action: str) -> None:
    with transaction(inbox.sessions) as s:
        item_id = new_enrollment(s, patient(s, "P1001")).id
    inbox.sign_in()
    for token in (None, "forged-token-value", ""):
        data = {"note": "n", "reason": "r", "body": "b", "day": "3", "reply_key": "k" * 16}
        if token is not None:
            data["csrf_token"] = token
        response = inbox.client.post(
            f"{item_page(item_id)}/{action}", data=data, follow_redirects=False
        )
        assert response.status_code == 403 and "expired" in response.text
    with transaction(inbox.sessions) as s:
        assert s.get(ReviewItem, item_id).status == ReviewStatus.PENDING  # type: ignore[union-attr]
        assert s.scalars(select(Enrollment.anchor_day)).one() == 15
        assert s.scalar(select(func.count()).select_from(Message)) == 0
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(~AuditEvent.action.like("%sign%"), AuditEvent.outcome == "ok")
            )
            == 0
        )
        # Each refused form is in the trail (issue 17: every refused attempt is audited).
        refused = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
        assert [(r.subject, r.after["status"]) for r in refused] == [  # type: ignore[index]
            (f"review_item:{item_id}", 403)
        ] * 3


@SQLITE_ONLY
def test_the_patient_page_form_needs_the_csrf_token(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        new_enrollment(s, margaret)
        patient_id = margaret.id
    inbox.sign_in()
    response = inbox.client.post(
        f"/patients/{patient_id}/anchor-day", data={"day": "3"}, follow_redirects=False
    )
    assert response.status_code == 403
    with transaction(inbox.sessions) as s:
        assert s.scalars(select(Enrollment.anchor_day)).one() == 15


def test_a_number_that_cannot_take_texts_gets_a_call_instead(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        margaret.sms_capable = False  # Twilio said 30006: a landline
        item_id = flagged_check_in(s, margaret).id
    inbox.sign_in()
    page = inbox.client.get(item_page(item_id)).text
    assert "cannot receive texts: call them instead" in page
    refused = act(inbox, item_id, "reply", body="Hello", reply_key="k" * 16)
    assert refused.status_code == 403
    act(inbox, item_id, "approve")
    assert outbound(inbox) == []
    assert "cannot receive texts: call them" in inbox.client.get(item_page(item_id)).text


class _SenderDown:
    def send(self, message_id: int) -> None:
        raise ConnectionError("redis is down")


def test_a_reply_the_sender_cannot_take_stays_queued_and_says_so(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit stands when the hand-off to the sender fails: the text stays queued for the
    outbound queue, and the person who replied is told, not shown a 500."""
    with transaction(inbox.sessions) as s:
        item_id = written_item(s, inbox.ids["main"], "hi", person=patient(s, "P1001")).id
    monkeypatch.setattr(inbox.client.app.state, "jobs", _SenderDown())  # type: ignore[attr-defined]
    inbox.sign_in()
    done = act(inbox, item_id, "reply", body="Your refill is ready.")
    assert done.status_code == 303
    [text] = outbound(inbox)
    assert text.status == MessageStatus.QUEUED
    assert "saved but could not be sent yet" in inbox.client.get(done.headers["location"]).text


def test_approving_an_enrollment_asks_at_once_for_a_prescription_that_cannot_be_filled(
    inbox: Inbox,
) -> None:
    """Lan's metoprolol (RX700302) has no refills and expired Nov 25: her first sync visit
    comes before any check-in, so approval itself opens the renewal item, once."""
    with transaction(inbox.sessions) as s:
        lan = patient(s, "P1003")
        item_id = new_enrollment(s, lan, day=20, next_anchor=dt.date(2026, 12, 20)).id
        lan_id = lan.id
    inbox.sign_in()
    assert act(inbox, item_id, "approve").status_code == 303
    with transaction(inbox.sessions) as s:
        items = s.scalars(
            select(ReviewItem).where(
                ReviewItem.patient_id == lan_id, ReviewItem.kind == ReviewKind.RENEWAL
            )
        ).all()
        assert [(i.details or {}).get("rx_number") for i in items] == ["RX700302"]
        assert items[0].status == ReviewStatus.PENDING
        assert "renew" in items[0].summary and "RX700302" in items[0].summary
