"""The audit trail, for admins: who did what to which record, when, before and after."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from bot.inbox.auth import CurrentActor
from bot.inbox.web import now_of, page, sessions_of
from store import inbox as store
from store.audit import record
from store.db import transaction

PAGE_SIZE = 100

router = APIRouter(include_in_schema=False)


def _compact(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@router.get("/audit")
def audit_trail(
    request: Request,
    actor: CurrentActor,
    before: str | None = None,
    who: str | None = None,
    subject: str | None = None,
) -> Response:
    if not actor.is_admin:
        return page(
            request,
            "message.html",
            {
                "title": "Admins only",
                "staff": actor,
                "heading": "Admins only",
                "text": "Only an admin can read the audit trail.",
            },
            status_code=403,
        )
    before_id = int(before) if before and before.isdigit() and len(before) < 12 else None
    with transaction(sessions_of(request)) as session:
        events = list(
            store.audit_page(
                session,
                PAGE_SIZE,
                before_id=before_id,
                actor=(who or "").replace("\x00", "").strip()[:200] or None,
                subject=(subject or "").replace("\x00", "").strip()[:64] or None,
            )
        )
        record(session, actor.audit_name, "view_audit", "audit", now_of(request))
    rows = [{"event": e, "before": _compact(e.before), "after": _compact(e.after)} for e in events]
    return page(
        request,
        "audit.html",
        {
            "title": "Audit trail",
            "staff": actor,
            "rows": rows,
            "who": who or "",
            "subject": subject or "",
            "older": events[-1].id if len(events) == PAGE_SIZE else None,
        },
    )
