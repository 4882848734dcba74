"""The pharmacy's language switches (/inbox/languages): each language on or off at one of the
signed-in person's pharmacies, and how far its translations were reviewed, a language under
the set share being marked "draft" with what that means. Pharmacists and admins switch (the
same change as `medsync pharmacy languages`, audited); everyone else reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox.auth import CurrentActor
from bot.inbox.csrf import CsrfChecked
from bot.inbox.staff import Actor
from bot.inbox.web import flash, now_of, page, see_other, sessions_of
from bot.languages import catalogs
from bot.languages.review_status import draft_means
from bot.languages.switches import SwitchRefused, switched, switches
from store.audit import record
from store.db import transaction
from store.models import Pharmacy

router = APIRouter(include_in_schema=False)
SETTINGS = ("on", "off", "default")  # default: the registry's, locales/languages.toml


class NotYours(Exception):
    """No pharmacy of the signed-in person by that id: one sentence for the page."""


def _pharmacies(
    session: Session, actor: Actor, wanted: str | None
) -> tuple[Pharmacy, list[Pharmacy]]:
    query = select(Pharmacy).order_by(Pharmacy.name, Pharmacy.id)
    if actor.pharmacy_ids is not None:
        query = query.where(Pharmacy.id.in_(actor.pharmacy_ids))
    mine = list(session.scalars(query))
    chosen = next((p for p in mine if str(p.id) == (wanted or "").strip()), None)
    if chosen is None and wanted:
        raise NotYours("You do not belong to that pharmacy.")
    if not mine:
        raise NotYours("You do not belong to a pharmacy yet: ask an admin to add you to one.")
    return chosen or mine[0], mine


def _refused(request: Request, actor: Actor, text: str, status_code: int) -> Response:
    return page(
        request,
        "message.html",
        {"title": "Languages", "staff": actor, "heading": "Languages", "text": text},
        status_code=status_code,
    )


@router.get("/inbox/languages")
def language_page(request: Request, actor: CurrentActor, pharmacy: str | None = None) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            chosen, mine = _pharmacies(session, actor, pharmacy)
            overrides = dict(chosen.language_overrides or {})
            context = {
                "title": "Languages",
                "staff": actor,
                "pharmacy": chosen,
                "pharmacies": mine,
                "rows": switches(overrides),
                "draft_means": draft_means(),
                "may_switch": actor.may_decide,
            }
    except NotYours as problem:
        return _refused(request, actor, str(problem), 403)
    return page(request, "languages.html", context)


@router.post("/inbox/languages")
def switch_language(
    request: Request,
    actor: CurrentActor,
    _: CsrfChecked,
    pharmacy: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    setting: Annotated[str, Form()] = "",
) -> Response:
    if not actor.may("language_switches"):
        text = "Only a pharmacist or an admin may turn a language on or off. Nothing changed."
        return _refused(request, actor, text, 403)
    tag = language.strip()
    try:
        with transaction(sessions_of(request)) as session:
            chosen, _mine = _pharmacies(session, actor, pharmacy or "-")
            back = f"/inbox/languages?pharmacy={chosen.id}"
            where = chosen.name
            before = dict(chosen.language_overrides or {})
            if setting not in SETTINGS:
                raise SwitchRefused("Choose on, off or MedSync's default for the language.")
            on, off, reset = (((tag,) if setting == s else ()) for s in SETTINGS)
            after = switched(before, on, off, reset)
            if after != before:
                chosen.language_overrides = after
                record(
                    session,
                    actor.audit_name,
                    "pharmacy.languages",
                    f"pharmacy:{chosen.id}",
                    now_of(request),
                    before={"language_overrides": before},
                    after={"language_overrides": after},
                )
            name = catalogs.registry()[tag].english_name
            now_on = catalogs.is_enabled(tag, after)
    except NotYours as problem:
        return _refused(request, actor, str(problem), 403)
    except SwitchRefused as problem:
        flash(request, "error", f"{problem} Nothing changed.")
        return see_other(back)
    state = "on" if now_on else "off (its patients get English)"
    if after == before:
        flash(request, "ok", f"Nothing changed: {name} was already {state} at {where}.")
    elif setting == "default":
        flash(request, "ok", f"{name} follows MedSync's default again at {where}: {state}.")
    else:
        flash(request, "ok", f"{name} is now {state} at {where}.")
    return see_other(back)
