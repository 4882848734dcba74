"""How the inbound path writes a text and its reply (issue 19): both rows at the end of the
step, or the text first when something flushes before the end; either way a retried
MessageSid gets the stored answer, and each text and reply is one row."""

from __future__ import annotations

from sqlalchemy import func, select

from store.db import make_engine, make_sessionmaker, transaction
from store.models import ConsentEvent, Direction, Message
from tests.bench.statements import MARGARET, _open_check_in
from tests.helpers import Phone, app_client, new_sid
from tests.helpers import replies as replies_in


def _rows(db_url: str, sid: str) -> tuple[Message, list[Message]]:
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as session:
        text = session.scalars(select(Message).where(Message.sid == sid)).one()
        replies = list(
            session.scalars(
                select(Message).where(
                    Message.conversation_id == text.conversation_id,
                    Message.direction == Direction.OUTBOUND,
                    Message.created_at == text.created_at,
                )
            )
        )
        session.expunge_all()
    engine.dispose()
    return text, replies


def test_a_text_and_its_reply_are_written_once_and_a_retry_gets_the_same_answer(
    db_url: str,
) -> None:
    client = app_client(db_url)
    phone = Phone(client, MARGARET)
    phone.text("hi")
    sid = new_sid()
    answer = phone.text("yes", sid=sid)
    assert answer and phone.text("yes", sid=sid) == answer  # the retry: the stored answer
    text, replies = _rows(db_url, sid)
    assert text.reply is not None and replies_in(text.reply) == answer
    assert text.patient_id is not None
    assert len([r for r in replies if r.body == answer[0]]) == 1
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as session:
        # The consent points at the text, written in the same transaction after it.
        assert session.scalar(select(func.count()).where(ConsentEvent.message_id == text.id)) == 1
    engine.dispose()


def test_a_text_written_before_the_end_of_its_step_still_gets_its_reply_stored(
    db_url: str,
) -> None:
    """The check-in's last answer reads the patient's caregivers while applying its effects:
    that read flushes, so the text is written first and its reply stored by an UPDATE."""
    client = app_client(db_url)
    phone = Phone(client, MARGARET)
    for body in ("hi", "yes", "15"):
        phone.text(body)
    _open_check_in(db_url)
    for body in ("no", "no", "no", "no"):
        phone.text(body)
    sid = new_sid()
    answer = phone.text("yes", sid=sid)
    assert answer and phone.text("yes", sid=sid) == answer
    text, replies = _rows(db_url, sid)
    assert text.reply is not None and replies_in(text.reply) == answer
    assert len([r for r in replies if r.body == answer[0]]) == 1
