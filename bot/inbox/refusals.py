"""Refused attempts are audited: every 403 and 404 answered to a signed-in person or an API
token writes one audit row (outcome "refused" or "not_found") before the answer leaves.

A route's own transaction is rolled back when it refuses, so the row is written here, in a
transaction of its own, by an ASGI middleware that sees the status of every answer. The
acting person is the one the sign-in or token check found (`request.state.actor`); the
record asked for comes from the address (`item_id`, `patient_id`), and the row joins the
chain of the pharmacy that record belongs to, so another pharmacy's attempt on a patient
shows in that patient's pharmacy's trail.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.inbox.staff import Actor
from store.audit import NOT_FOUND, REFUSED, record
from store.db import transaction

log = logging.getLogger(__name__)

OUTCOMES = {403: REFUSED, 404: NOT_FOUND}
MAX_ID = 2**31 - 1
SUBJECTS = (("item_id", "review_item"), ("patient_id", "patient"))


def subject_of(scope: Scope) -> str:
    """The record the address names ("patient:12"), else the route ("route:/inbox")."""
    params: dict[str, Any] = scope.get("path_params") or {}
    for name, kind in SUBJECTS:
        value = str(params.get(name, ""))
        if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID:
            return f"{kind}:{int(value)}"
    route = scope.get("route")
    path = getattr(route, "path", None) or scope.get("path", "")
    return f"route:{path}"[:64]


def action_of(scope: Scope) -> str:
    route = scope.get("route")
    name = getattr(route, "name", None)
    return str(name or "request")[:64]


class AuditRefusals:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def audited_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in OUTCOMES:
                state: dict[str, Any] = scope.get("state") or {}
                actor = state.get("actor")
                if isinstance(actor, Actor) and not state.get("refusal_audited"):
                    state["refusal_audited"] = True
                    reason = state.get("refusal_reason")
                    await run_in_threadpool(_write, scope, actor, message["status"], reason)
            await send(message)

        await self.app(scope, receive, audited_send)


def _write(scope: Scope, actor: Actor, status: int, reason: Any = None) -> None:
    app = scope["app"]
    after: dict[str, Any] = {
        "status": status,
        "method": scope.get("method"),
        "path": str(scope["path"]).replace("\x00", "")[:300],
    }
    if isinstance(reason, str) and reason:
        after["reason"] = reason[:300]  # the policy's sentence, when a role was refused
    try:
        with transaction(app.state.sessions) as session:
            record(
                session,
                actor.audit_name,
                action_of(scope),
                subject_of(scope),
                app.state.clock.now(),
                after=after,
                outcome=OUTCOMES[status],
            )
    except Exception:
        # The refusal itself stands; a trail that cannot be written is an operator's alarm.
        log.exception("could not audit a refused request to %s", scope.get("path"))
