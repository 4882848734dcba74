"""The inbound text's writer: PostgreSQL's (and SQLite's) text row written at the end of the
step with its reply and the conversation's state, while the effects may point at it before.

Split from runtime.py (issue 19's last step on the hot path). The hooks that write the text
early, should anything flush or run a write first, are listened once per sessionmaker
(`TextWriter.watch`); the writer of the step in progress is found in `session.info`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from bot.conversation.messages import WAITING_FOR_TEXT
from store import queries
from store.models import Conversation, Message


class TextWriter:
    """PostgreSQL's inbound path: the text and its reply get their ids from the locking
    statement (`queries.Located`), so the effects can point at the text before it is written;
    at the end of the step one statement inserts both rows and saves the conversation's state
    (a CTE), and the commit's flush writes the effects after them (issue 19).

    Should anything flush before the end (an effect that reads, or flushes itself), the text is
    written first, so rows pointing at it find it; its reply is then written by an UPDATE."""

    def __init__(self, session: Session, message: Message, ids: tuple[int, int | None]) -> None:
        self.session, self.message, self.ids = session, message, ids
        message.id = ids[0]
        self.written = False
        self.waiting: list[Callable[[], None]] = []
        session.info[WAITING_FOR_TEXT] = self.waiting
        session.info[_WRITER] = self

    @staticmethod
    def watch(sessions: sessionmaker[Session]) -> None:
        """Hook the flush and the ORM's statements of `sessions` once, for every text's
        writer: listening and unlistening on each session cost about 5% of a text."""
        if not sa_event.contains(sessions, "before_flush", _before_flush):
            sa_event.listen(sessions, "before_flush", _before_flush)
            sa_event.listen(sessions, "do_orm_execute", _before_statement)

    def write_text(self) -> None:
        if not self.written:
            self.written = True
            queries.write_messages(self.session, [self.message])

    def finish(
        self,
        reply: Message | None,
        conversation: Conversation,
        state: dict[str, Any],
        now: dt.datetime,
    ) -> None:
        del self.session.info[_WRITER]
        rows = [] if self.written else [self.message]
        if self.written:
            self.session.connection().execute(
                update(Message)
                .where(Message.id == self.message.id)
                .values(reply=self.message.reply)
            )
        if reply is not None:
            reply.id = self.ids[1]  # type: ignore[assignment]  # None: SQLite picks it
            rows.append(reply)
        # The locked row in the session says what was saved, with nothing left to flush.
        set_committed_value(conversation, "state", state)
        set_committed_value(conversation, "updated_at", now)
        queries.write_messages(self.session, rows, conversation, state)
        del self.session.info[WAITING_FOR_TEXT]
        for action in self.waiting:
            action()


# Where the session keeps the text's writer while a step runs (`TextWriter.watch`).
_WRITER = "medsync.text_writer"


def _before_flush(session: Session, *_: object) -> None:
    writer: TextWriter | None = session.info.get(_WRITER)
    if writer is not None:
        writer.write_text()


def _before_statement(state: ORMExecuteState) -> None:
    # An effect's own INSERT or UPDATE may point at the text (a staff thread's latest).
    if not state.is_select:
        _before_flush(state.session)
