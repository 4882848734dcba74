"""The pharmacy's saved replies (/inbox/saved-replies): short texts staff start a reply from,
one per name and language, so a Spanish-speaking patient gets the Spanish one. The page says
which enabled languages a saved reply still lacks. Pharmacists and admins edit (audited);
everyone else reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bot.inbox import replies
from bot.inbox.auth import CurrentActor
from bot.inbox.csrf import CsrfChecked
from bot.inbox.decisions import MAX_SMS
from bot.inbox.languages import NotYours, _pharmacies
from bot.inbox.staff import Actor
from bot.inbox.web import flash, now_of, page, see_other, sessions_of
from bot.languages import catalogs, serving
from store import saved_replies as store
from store.audit import record
from store.db import transaction
from store.saved_replies import SavedReply

router = APIRouter(include_in_schema=False)
MAX_NAME = 80


def _page(
    request: Request, actor: Actor, pharmacy: str | None, error: str = "", status_code: int = 200
) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            chosen, mine = _pharmacies(session, actor, pharmacy)
            offered = serving.offered(chosen)
            rows = list(store.of_pharmacy(session, chosen.id))
            names = sorted({r.name for r in rows}, key=str.casefold)
            have = {(r.name, r.language) for r in rows}
            missing = {
                name: [label for tag, label in offered if (name, tag) not in have] for name in names
            }
            context = {
                "title": "Saved replies",
                "staff": actor,
                "pharmacy": chosen,
                "pharmacies": mine,
                "rows": rows,
                "names": names,
                "missing": missing,
                "languages": offered,
                "may_edit": actor.may_decide,
                "error": error,
            }
    except NotYours as problem:
        return page(
            request,
            "message.html",
            {
                "title": "Saved replies",
                "staff": actor,
                "heading": "Saved replies",
                "text": str(problem),
            },
            status_code=403,
        )
    return page(request, "saved_replies.html", context, status_code=status_code)


@router.get("/inbox/saved-replies")
def saved_replies_page(
    request: Request, actor: CurrentActor, pharmacy: str | None = None
) -> Response:
    return _page(request, actor, pharmacy)


@router.post("/inbox/saved-replies")
def save_reply(
    request: Request,
    actor: CurrentActor,
    _: CsrfChecked,
    pharmacy: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    """Add a saved reply in one language, or change the one of that name and language."""
    name = " ".join(name.replace("\x00", "").split())
    text = body.replace("\x00", "").strip()
    problem = ""
    if not actor.may_decide:
        return _page(request, actor, pharmacy, "Only a pharmacist or an admin can edit.", 403)
    if not name or len(name) > MAX_NAME:
        problem = f"Give the saved reply a name of 1 to {MAX_NAME} characters."
    elif not text or len(text) > MAX_SMS:
        problem = f"Write the reply (at most {MAX_SMS} characters)."
    if problem:
        return _page(request, actor, pharmacy, problem, 400)
    try:
        with transaction(sessions_of(request)) as session:
            chosen, _mine = _pharmacies(session, actor, pharmacy)
            tags = [tag for tag, _label in serving.offered(chosen)]
            if language not in tags:
                raise NotYours("Choose one of the languages this pharmacy offers.")
            now = now_of(request)
            row = store.find(session, chosen.id, name, language)
            before = {"body": row.body} if row else None
            if row is None:
                row = SavedReply(pharmacy_id=chosen.id, name=name, language=language)
                session.add(row)
            row.body = text
            row.updated_at = now
            row.updated_by = actor.audit_name[:200]
            session.flush()
            record(
                session,
                actor.audit_name,
                "saved_reply",
                f"pharmacy:{chosen.id}",
                now,
                before=before,
                after={"name": name, "language": language, "body": text},
            )
    except NotYours as refused:
        return _page(request, actor, pharmacy, str(refused), 400)
    segments = replies.segment_hint(text, language)
    label = catalogs.registry().get(language)
    flash(
        request,
        "ok",
        f"Saved “{name}” in {label.english_name if label else language} "
        f"({segments.count} segment{'s' if segments.count != 1 else ''}, {segments.encoding}).",
    )
    return see_other(f"/inbox/saved-replies?pharmacy={chosen.id}")
