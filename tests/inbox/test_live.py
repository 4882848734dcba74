"""Live news (bot/inbox/live.py): what the app stores is published after the commit (never
on a rollback), in process or through Redis pub/sub, and each page's stream keeps to the
staff member's pharmacies and the item it shows."""

from __future__ import annotations

import asyncio

import pytest

from bot.inbox.live import Broadcaster, News, RedisBroadcaster, Watched, phone_key
from store.db import transaction
from store.models import Channel, Direction, Message, MessageStatus
from tests.helpers import NOW, Phone, new_sid
from tests.inbox.conftest import SQLITE_ONLY, Inbox, post_form
from tests.inbox.factories import new_enrollment, patient


def _heard(broadcaster: Broadcaster, act: object, expect: int = 1) -> list[News]:
    """What a listening page hears while `act` runs in another thread."""

    async def listen() -> list[News]:
        listener = broadcaster.listen()
        try:
            await asyncio.to_thread(act)  # type: ignore[arg-type]
            heard: list[News] = []
            while len(heard) < expect:
                news = await asyncio.wait_for(listener.queue.get(), timeout=2)
                assert news is not None
                heard.append(news)
            await asyncio.sleep(0.05)
            while not listener.queue.empty():
                extra = listener.queue.get_nowait()
                assert extra is not None
                heard.append(extra)
            return heard
        finally:
            broadcaster.leave(listener)

    return asyncio.run(listen())


@SQLITE_ONLY
def test_a_text_an_item_and_a_decision_are_news_after_their_commit(inbox: Inbox) -> None:
    broadcaster: Broadcaster = inbox.client.app.state.inbox_news  # type: ignore[attr-defined]
    with transaction(inbox.sessions) as s:
        margaret = patient(s, "P1002")
        item = new_enrollment(s, margaret).id
    pharmacy = inbox.ids["main"]
    heard = _heard(broadcaster, lambda: Phone(inbox.client, margaret.phone).text("hello"))
    assert News("text", pharmacy, None, margaret.id, None) in heard

    inbox.sign_in()
    page = f"/inbox/items/{item}"
    heard = _heard(broadcaster, lambda: post_form(inbox.client, page, f"{page}/approve"))
    assert [n for n in heard if n.kind == "decision"] == [
        News("decision", pharmacy, item, margaret.id, phone_key(pharmacy, margaret.phone))
    ]


@SQLITE_ONLY
def test_a_rolled_back_text_is_no_news(inbox: Inbox) -> None:
    broadcaster: Broadcaster = inbox.client.app.state.inbox_news  # type: ignore[attr-defined]
    sessions = inbox.client.app.state.sessions  # type: ignore[attr-defined]

    def store(commit: bool, body: str) -> None:
        with sessions() as session:
            session.add(
                Message(
                    pharmacy_id=inbox.ids["main"],
                    direction=Direction.INBOUND,
                    channel=Channel.SMS,
                    sid=new_sid(),
                    phone="+19175550011",
                    body=body,
                    status=MessageStatus.RECEIVED,
                    created_at=NOW,
                )
            )
            session.flush()
            if commit:
                session.commit()
            else:
                session.rollback()

    def both() -> None:
        store(False, "lost")
        store(True, "kept")

    heard = _heard(broadcaster, both)
    key = phone_key(inbox.ids["main"], "+19175550011")
    assert heard == [News("text", inbox.ids["main"], None, None, key)]  # once, the kept one


def test_news_carries_ids_only_and_odd_news_is_dropped() -> None:
    news = News("text", 3, None, 12, None)
    assert News.decode(news.encode()) == news
    assert "+1" not in News("text", 3, None, None, phone_key(3, "+12125550123")).encode()
    for junk in (b"", b"{}", b"not json", b'{"kind": "x", "pharmacy_id": "three"}'):
        assert News.decode(junk) is None


def test_a_page_hears_about_its_item_its_patient_or_its_number() -> None:
    by_patient = Watched(item_id=5, patient_id=7, phone_key=None)
    assert by_patient.concerns(News("decision", 1, 5))
    assert by_patient.concerns(News("text", 1, None, 7))
    assert not by_patient.concerns(News("text", 1, None, 8))
    stranger = Watched(item_id=6, patient_id=None, phone_key="abc")
    assert stranger.concerns(News("text", 1, None, None, "abc"))
    assert not stranger.concerns(News("text", 1, None, None, None))


@pytest.mark.redis
def test_news_crosses_processes_through_redis(redis_url: str) -> None:
    speaker, hearer = RedisBroadcaster(redis_url), RedisBroadcaster(redis_url)
    news = News("item", 2, 40, 9, None)

    def publish() -> None:
        assert hearer.subscribed.wait(5)
        speaker.publish(news)

    try:
        assert _heard(hearer, publish) == [news]
    finally:
        speaker.close()
        hearer.close()
