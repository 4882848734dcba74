"""The item page as a working screen (issue 18): the thread and every open item of the patient,
two-way threads after a staff reply, calling patients, replies done right, and summaries from
the records as they are now. Through HTTP: the inbox's pages and Twilio's signed webhook."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.inbox import replies
from store.db import transaction
from store.models import (
    AuditEvent,
    Channel,
    CheckIn,
    ConsentEvent,
    ConsentKind,
    Conversation,
    Direction,
    EnrollmentStatus,
    Message,
    MessageStatus,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.saved_replies import SavedReply
from tests.helpers import NOW, Phone
from tests.inbox.conftest import SQLITE_ONLY, TOM, Inbox, csrf_from
from tests.inbox.factories import (
    XSS,
    enroll,
    flagged_check_in,
    new_enrollment,
    patient,
    written_item,
)

MARGARET_PHONE = "+12125550123"


def _post(inbox: Inbox, page: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    html = inbox.client.get(page).text
    data = {"csrf_token": csrf_from(html), **fields}
    if action.endswith("/reply") and "reply_key" not in fields:
        import re

        found = re.search(r'name="reply_key" value="([^"]+)"', html)
        assert found
        data["reply_key"] = found.group(1)
    return inbox.client.post(action, data=data, follow_redirects=False)


def test_a_staff_reply_opens_a_thread_the_patient_answers_into(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        enroll(s, margaret)
        item_id = written_item(s, inbox.ids["main"], "Please call me", person=margaret).id
    inbox.sign_in()
    page = f"/inbox/items/{item_id}"
    sent = _post(inbox, page, f"{page}/reply", body="Of course. When suits you best?")
    assert sent.status_code == 303

    phone = Phone(inbox.client, MARGARET_PHONE)
    inbox.clock.advance(minutes=10)
    assert phone.text("After 3pm please. I feel a bit dizzy") == [
        "Thank you. The pharmacist will read your message."
    ]
    inbox.clock.advance(minutes=1)
    assert phone.text("ok thanks") == ["Thank you. The pharmacist will read your message."]
    with transaction(inbox.sessions) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.unread and item.latest_at is not None
        latest = s.get(Message, item.latest_message_id)
        assert latest is not None and latest.body == "ok thanks"
        # No new item: the texts belong to the thread the pharmacist started.
        assert s.scalars(select(ReviewItem.id)).all() == [item_id]

    html = inbox.client.get(page).text
    wrote = html.split("What they wrote", 1)[1].split("</ol>", 1)[0]
    for text in ("Please call me", "After 3pm please. I feel a bit dizzy", "ok thanks"):
        assert text in wrote
    assert "A reply is open" in html
    with transaction(inbox.sessions) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None and not item.unread  # opened by a pharmacist

    # Deciding the item ends the thread: the next text is the dialogs' again.
    closed = _post(inbox, page, f"{page}/done", note="Called her back")
    assert closed.status_code == 303
    with transaction(inbox.sessions) as s:
        conversation = s.scalars(select(Conversation)).one()
        assert conversation.staff_thread_item_id is None
    inbox.clock.advance(minutes=1)
    assert phone.text("ok thanks") == [
        "Your next pickup is Tuesday, December 15, 2026. Reply HELP for help."
    ]


@SQLITE_ONLY
def test_the_thread_runs_out_after_the_setting_s_hours(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        enroll(s, margaret)
        item_id = written_item(s, inbox.ids["main"], "hello?", person=margaret).id
    inbox.sign_in()
    page = f"/inbox/items/{item_id}"
    assert _post(inbox, page, f"{page}/reply", body="Hello Margaret").status_code == 303
    with transaction(inbox.sessions) as s:
        conversation = s.scalars(select(Conversation)).one()
        assert conversation.staff_thread_until == NOW + dt.timedelta(hours=72)
    inbox.clock.advance(hours=73)
    assert Phone(inbox.client, MARGARET_PHONE).text("ok thanks") == [
        "Your next pickup is Tuesday, December 15, 2026. Reply HELP for help."
    ]


@SQLITE_ONLY
def test_a_text_after_the_item_was_decided_elsewhere_opens_its_own_item(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        enroll(s, margaret)
        item_id = written_item(s, inbox.ids["main"], "hello?", person=margaret).id
        s.add(
            Conversation(
                pharmacy_id=inbox.ids["main"],
                phone=MARGARET_PHONE,
                state={},
                updated_at=NOW,
                staff_thread_item_id=item_id,
                staff_thread_until=NOW + dt.timedelta(hours=1),
            )
        )
        s.get(ReviewItem, item_id).status = ReviewStatus.DONE  # type: ignore[union-attr]
    Phone(inbox.client, MARGARET_PHONE).text("one more thing")
    with transaction(inbox.sessions) as s:
        newer = s.scalars(select(ReviewItem).where(ReviewItem.id != item_id)).one()
        assert newer.kind == ReviewKind.MESSAGE and newer.status == ReviewStatus.PENDING
        assert s.scalars(select(Conversation)).one().staff_thread_item_id is None


@SQLITE_ONLY
def test_every_open_item_of_the_patient_is_decided_on_one_screen(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        check_in = flagged_check_in(s, margaret).id
        message = written_item(s, inbox.ids["main"], "Is my order ready?", person=margaret).id
    inbox.sign_in()
    page = f"/inbox/items/{check_in}"
    html = inbox.client.get(page).text
    assert f'id="decide-{check_in}"' in html and f'id="decide-{message}"' in html
    assert f'action="/inbox/items/{message}/done"' in html
    closed = _post(
        inbox, page, f"/inbox/items/{message}/done", note="Answered", from_item=str(check_in)
    )
    assert closed.status_code == 303 and closed.headers["location"] == page
    html = inbox.client.get(page).text
    assert f'id="decide-{message}"' not in html and f'id="decide-{check_in}"' in html


@SQLITE_ONLY
def test_answers_show_the_patient_s_words_and_keys_read_as_words(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item = flagged_check_in(s, margaret)
        check_in = s.get(CheckIn, item.check_in_id)
        assert check_in is not None
        check_in.words = {"hospital": "no hospital but my doctor added lisinopril"}
        margaret.language = "zh-Hans"
    inbox.sign_in()
    html = inbox.client.get(f"/inbox/items/{item.id}").text
    assert "— wrote: 'no hospital but my doctor added lisinopril'" in html
    assert "Chinese (Simplified)" in html and "zh-Hans" not in html
    assert "missed_doses" not in html and "anything_else" not in html
    assert "Anything else" in html or "anything else" in html


@SQLITE_ONLY
def test_summaries_follow_the_records_not_the_text_stored_when_the_item_opened(
    inbox: Inbox,
) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = new_enrollment(s, margaret, day=15).id
    inbox.sign_in()
    page = f"/inbox/items/{item_id}"
    assert _post(inbox, page, f"{page}/anchor-day", day="20").status_code == 303
    html = inbox.client.get(page).text
    head = html.split('class="summary"', 1)[1].split("</p>", 1)[0]
    assert "pickup day 20" in head and "pickup day 15" not in head

    assert _post(inbox, page, f"{page}/decline", reason="Not eligible").status_code == 303
    html = inbox.client.get(page).text
    assert "pending review" not in html.lower()
    assert "Enrollment declined by a pharmacist" in html


@SQLITE_ONLY
def test_show_number_reveals_the_phone_records_the_view_and_links_tel(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        call = written_item(
            s, inbox.ids["main"], "call me", person=margaret, kind=ReviewKind.CALL_BACK
        ).id
        message = written_item(s, inbox.ids["main"], "hi", person=margaret).id
    inbox.sign_in(TOM)  # a technician calls patients too
    page = f"/inbox/items/{call}"
    before = inbox.client.get(page).text
    assert "555-0123" not in before and "Show number" in before
    shown = _post(inbox, page, f"{page}/number")
    assert shown.status_code == 200
    assert 'href="tel:+12125550123"' in shown.text and "(212) 555-0123" in shown.text
    assert 'id="call-note-' in shown.text  # the call note right there
    with transaction(inbox.sessions) as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "view_phone")).all()
        assert [(v.actor, v.subject) for v in views] == [
            ("tom@example.org", f"patient:{margaret.id}")
        ]
    # Not on other kinds, and never without the form's token.
    refused = _post(inbox, f"/inbox/items/{message}", f"/inbox/items/{message}/number")
    assert refused.status_code == 400 and "555-0123" not in refused.text
    assert inbox.client.post(f"{page}/number", data={}).status_code == 403


@SQLITE_ONLY
def test_a_drug_name_is_refused_for_a_patient_without_detailed_messages(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = written_item(s, inbox.ids["main"], "is it ready", person=margaret).id
    inbox.sign_in()
    page = f"/inbox/items/{item_id}"
    refused = _post(inbox, page, f"{page}/reply", body="Your metformin and insulin are ready.")
    assert refused.status_code == 400
    assert "“metformin” is the name of one of the patient&#39;s medicines" in refused.text
    assert "Your metformin and insulin are ready." in refused.text  # the draft is kept
    with transaction(inbox.sessions) as s:
        assert not s.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)).all()
        s.add(
            ConsentEvent(
                patient_id=margaret.id,
                kind=ConsentKind.DETAILED_MESSAGES_ON,
                channel=Channel.SMS,
                wording="yes",
                language="en",
                created_at=NOW,
            )
        )
    allowed = _post(inbox, page, f"{page}/reply", body="Your metformin is ready.")
    assert allowed.status_code == 303


@SQLITE_ONLY
def test_the_send_time_is_shown_when_sending_hours_hold_a_reply(inbox: Inbox) -> None:
    inbox.clock.at = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 10 pm in New York
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item_id = written_item(s, inbox.ids["main"], "hi", person=margaret).id
    inbox.sign_in()
    page = f"/inbox/items/{item_id}"
    html = inbox.client.get(page).text
    assert "a text written now goes Mon Nov 30, 8:00 AM" in html
    sent = _post(inbox, page, f"{page}/reply", body="We will call you in the morning.")
    assert sent.status_code == 303
    html = inbox.client.get(page).text
    assert "sending hours hold it until Mon Nov 30, 8:00 AM" in html
    assert "waits for sending hours: goes Mon Nov 30, 8:00 AM" in html
    with transaction(inbox.sessions) as s:
        queued = s.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)).one()
        assert queued.status == MessageStatus.QUEUED


@SQLITE_ONLY
def test_saved_replies_per_language_and_the_segment_counter_s_start(inbox: Inbox) -> None:
    inbox.sign_in()
    page = "/inbox/saved-replies"
    assert "No saved replies yet" in inbox.client.get(page).text
    for language, body in (("en", "Your order is ready."), ("es", "Su pedido está listo.")):
        saved = _post(
            inbox,
            page,
            page,
            pharmacy=str(inbox.ids["main"]),
            name="Ready",
            language=language,
            body=body,
        )
        assert saved.status_code == 303, saved.text
    html = inbox.client.get(page).text
    assert "Not yet written in:" in html and "Vietnamese" in html
    bad = _post(
        inbox, page, page, pharmacy=str(inbox.ids["main"]), name="", language="en", body="x"
    )
    assert bad.status_code == 400 and "Give the saved reply a name" in bad.text
    with transaction(inbox.sessions) as s:
        assert len(s.scalars(select(SavedReply)).all()) == 2
        jose = patient(s, "P1002")
        item_id = written_item(s, inbox.ids["main"], "hola", person=jose).id
        margaret = patient(s, "P1001")
        other = written_item(s, inbox.ids["main"], "hi", person=margaret).id
    html = inbox.client.get(f"/inbox/items/{item_id}").text
    assert 'value="Su pedido está listo."' in html and "Your order is ready." not in html
    assert 'data-encoding="UCS-2"' in html or 'data-encoding="GSM-7"' in html
    assert 'src="/static/inbox/item.js"' in html
    assert "Your order is ready." in inbox.client.get(f"/inbox/items/{other}").text
    # A technician reads the page but may not edit.
    tom = inbox.new_client()
    from tests.inbox.conftest import sign_in

    sign_in(tom, TOM)
    assert "Add or change a saved reply" not in tom.get(page).text


@SQLITE_ONLY
def test_patient_words_in_the_thread_and_what_they_wrote_are_escaped(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        item = written_item(s, inbox.ids["main"], XSS, person=margaret)
        item.details = {"wrote": XSS}
    inbox.sign_in()
    html = inbox.client.get(f"/inbox/items/{item.id}").text
    assert XSS not in html and "&lt;script&gt;" in html


def test_drug_words_come_from_the_names_as_dispensed() -> None:
    names = ["Insulin glargine 100 units/mL pen 5 x 3 mL", "Albuterol HFA inhaler 90 mcg"]
    assert replies.drug_words(names) == {"insulin", "glargine", "albuterol"}
    assert replies.named_drug("Your Albuterol is in", names) == "Albuterol"
    assert replies.named_drug("Your pen is ready", names) is None


@SQLITE_ONLY
def test_a_declined_enrollment_reads_as_declined_on_the_patient_line(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1001")
        enroll(s, margaret, EnrollmentStatus.DECLINED)
        item_id = written_item(s, inbox.ids["main"], "no thanks", person=margaret).id
    inbox.sign_in()
    html = inbox.client.get(f"/inbox/items/{item_id}").text
    assert "Declined med sync" in html and "declined" in html.lower()


@SQLITE_ONLY
def test_later_texts_reach_the_pending_item_they_would_have_opened(inbox: Inbox) -> None:
    with transaction(inbox.sessions) as s:
        enroll(s, patient(s, "P1001"))
    phone = Phone(inbox.client, MARGARET_PHONE)
    phone.text("I have a question about my order")
    inbox.clock.advance(minutes=5)
    phone.text("I feel a bit dizzy")
    with transaction(inbox.sessions) as s:
        item = s.scalars(select(ReviewItem)).one()
        latest = s.get(Message, item.latest_message_id)
        assert latest is not None and latest.body == "I feel a bit dizzy" and item.unread
    inbox.sign_in()
    html = inbox.client.get(f"/inbox/items/{item.id}").text
    wrote = html.split("What they wrote", 1)[1].split("</ol>", 1)[0]
    assert "I have a question about my order" in wrote and "I feel a bit dizzy" in wrote
