"""Live news for open inbox pages: a text arrived, an item opened, a colleague decided.

What happens is noticed where it is stored: the inbox watches the app's database sessions
(SQLAlchemy's after_flush: a new inbound message, a new review item; `note_decision` from
the one place a decision is claimed) and, after the commit, publishes one small `News`
(ids only: no name, no phone, no words). A Redis pub/sub channel carries it when
MEDSYNC_REDIS_URL is set (so every web process hears what any of them stored); without
Redis an in-process broadcaster does (the embedded default, jobs in-process).

Each open page holds one server-sent-events stream (/inbox/events, sse-starlette); htmx's
SSE extension turns an event into a partial reload: `queue` (something changed at one of
your pharmacies) and `item` (something changed about the item this page shows: see
docs/INBOX.md for the contract with the item page).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from sse_starlette import EventSourceResponse, ServerSentEvent

from bot.inbox.auth import CurrentActor
from bot.inbox.web import sessions_of
from store import queries
from store.db import transaction
from store.models import Direction, Message, ReviewItem

log = logging.getLogger(__name__)

CHANNEL = "medsync:inbox:news"
PING_SECONDS = 15
_PENDING = "inbox_news"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class News:
    """What changed: "text" (a patient wrote), "item" (an item opened), "decision"."""

    kind: str
    pharmacy_id: int
    item_id: int | None = None
    patient_id: int | None = None
    phone_key: str | None = None  # a text from a number no patient matched (a digest)

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | bytes) -> News | None:
        try:
            data = json.loads(raw)
            return cls(
                kind=str(data["kind"]),
                pharmacy_id=int(data["pharmacy_id"]),
                item_id=_int_or_none(data.get("item_id")),
                patient_id=_int_or_none(data.get("patient_id")),
                phone_key=data.get("phone_key") if isinstance(data.get("phone_key"), str) else None,
            )
        except (ValueError, KeyError, TypeError):
            return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def phone_key(pharmacy_id: int, phone: str | None) -> str | None:
    """A number no patient matched, as news carries it: a digest, never the number."""
    if not phone:
        return None
    return hashlib.sha256(f"{pharmacy_id}:{phone}".encode()).hexdigest()[:16]


# ------------------------------------------------------------------ broadcasting


class _Listener:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[News | None] = asyncio.Queue()


class Broadcaster:
    """In one process: every open stream gets every news item (each filters its own)."""

    def __init__(self) -> None:
        self._listeners: set[_Listener] = set()
        self._lock = threading.Lock()

    def publish(self, news: News) -> None:
        self.deliver(news)

    def deliver(self, news: News | None) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(RuntimeError):  # its event loop has closed
                listener.loop.call_soon_threadsafe(listener.queue.put_nowait, news)

    def listen(self) -> _Listener:
        listener = _Listener(asyncio.get_running_loop())
        with self._lock:
            self._listeners.add(listener)
        self.started()
        return listener

    def leave(self, listener: _Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def started(self) -> None:
        """Hook: the Redis broadcaster starts its subscriber with the first stream."""

    def close(self) -> None:
        """End every open stream (the app is stopping)."""
        self.deliver(None)


class RedisBroadcaster(Broadcaster):
    """Across processes: news goes out on a Redis channel; one thread per process reads it
    and hands it to that process's streams."""

    def __init__(self, url: str) -> None:
        super().__init__()
        from redis import Redis

        self._redis = Redis.from_url(url)
        # Pub/sub channels span a Redis server's databases: the database number keeps two
        # deployments (or test runs) on one server apart.
        self.channel = f"{CHANNEL}:{self._redis.connection_pool.connection_kwargs.get('db', 0)}"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.subscribed = threading.Event()  # set once this process hears the channel

    def publish(self, news: News) -> None:
        try:
            self._redis.publish(self.channel, news.encode())
        except Exception as error:  # Redis down: this process's pages still hear it
            log.warning("live news not published to Redis (%s); delivered locally", error)
            self.deliver(news)

    def started(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._read, name="inbox-news", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self.subscribed.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        news = News.decode(message["data"])
                        if news is not None:
                            self.deliver(news)
                pubsub.close()
            except Exception as error:
                self.subscribed.clear()
                log.warning("live news: Redis unreachable (%s); trying again in 1 s", error)
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        super().close()


def broadcaster_for(redis_url: str | None) -> Broadcaster:
    return RedisBroadcaster(redis_url) if redis_url else Broadcaster()


# ------------------------------------------------------------------ noticing what was stored


def note_decision(session: Session, item: ReviewItem) -> None:
    """A decision claimed in this transaction (claiming.claim): published after the commit."""
    _pending(session).append(
        News(
            "decision",
            item.pharmacy_id,
            item.id,
            item.patient_id,
            phone_key(item.pharmacy_id, item.phone),
        )
    )


def _pending(session: Session) -> list[News]:
    pending: list[News] = session.info.setdefault(_PENDING, [])
    return pending


def _text_news(row: Message) -> News:
    key = None if row.patient_id else phone_key(row.pharmacy_id, row.phone)
    return News("text", row.pharmacy_id, None, row.patient_id, key)


def watch(sessions: sessionmaker[Session], broadcaster: Broadcaster) -> None:
    """Publish what the app's sessions store, once each transaction commits."""

    def after_flush(session: Session, _context: Any) -> None:
        pending = _pending(session)
        for row in session.new:
            if isinstance(row, Message) and row.direction == Direction.INBOUND:
                pending.append(_text_news(row))
            elif isinstance(row, ReviewItem):
                key = phone_key(row.pharmacy_id, row.phone)
                pending.append(News("item", row.pharmacy_id, row.id, row.patient_id, key))

    def after_commit(session: Session) -> None:
        # Texts the inbound path wrote with a Core statement (store/queries.py) come first:
        # they were written before anything the commit's flush wrote.
        written = session.info.pop(queries.WRITTEN_MESSAGES, [])
        pending = [_text_news(row) for row in written if row.direction == Direction.INBOUND]
        pending += session.info.pop(_PENDING, [])
        for news in dict.fromkeys(pending):  # once each, in order
            try:
                broadcaster.publish(news)
            except Exception:  # news is a courtesy: the commit stands
                log.exception("live news not published")

    def after_rollback(session: Session) -> None:
        session.info.pop(_PENDING, None)
        session.info.pop(queries.WRITTEN_MESSAGES, None)

    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_soft_rollback", lambda s, _t: after_rollback(s))


# ------------------------------------------------------------------ the stream


@dataclass(frozen=True)
class Watched:
    """The item a page shows: news about it, its patient or its number is news for it."""

    item_id: int
    patient_id: int | None
    phone_key: str | None

    def concerns(self, news: News) -> bool:
        if news.item_id == self.item_id:
            return True
        if self.patient_id is not None:
            return news.patient_id == self.patient_id
        return news.phone_key is not None and news.phone_key == self.phone_key


def _watched(request: Request, actor: Any, item: int | None) -> Watched | None:
    if item is None or not 1 <= item < 2**31:
        return None
    with transaction(sessions_of(request)) as session:
        row = session.get(ReviewItem, item)
        if row is None or not actor.sees(row.pharmacy_id):
            return None
        return Watched(row.id, row.patient_id, phone_key(row.pharmacy_id, row.phone))


@router.get("/inbox/events")
async def events(request: Request, actor: CurrentActor, item: int | None = None) -> Any:
    """The page's live stream: `queue` for changes at the actor's pharmacies, `item` for
    changes that concern the item the page shows (?item=id)."""
    broadcaster: Broadcaster = request.app.state.inbox_news
    watched = await asyncio.to_thread(_watched, request, actor, item)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        listener = broadcaster.listen()
        try:
            yield ServerSentEvent(comment="connected")
            while True:
                news = await listener.queue.get()
                if news is None:
                    return
                if not actor.sees(news.pharmacy_id):
                    continue
                if watched is not None and watched.concerns(news):
                    yield ServerSentEvent(data=news.kind, event="item")
                yield ServerSentEvent(data=news.kind, event="queue")
        finally:
            broadcaster.leave(listener)

    return EventSourceResponse(
        stream(),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
