"""The admins' staff page (/inbox/staff): every account with its role, pharmacies, second
factor and last sign-in, and the same changes as `medsync user ...` (bot/inbox/lifecycle.py),
each audited under the admin's name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.inbox import lifecycle
from bot.inbox.auth import CurrentActor
from bot.inbox.csrf import CsrfChecked
from bot.inbox.passwords import MAX_LENGTH, PasswordTooWeak
from bot.inbox.staff import Actor
from bot.inbox.web import flash, now_of, page, see_other, sessions_of
from store.accounts import Role, StaffSession, User
from store.audit import record
from store.db import transaction
from store.models import Pharmacy

router = APIRouter(include_in_schema=False)
MAX_ID = 2**31 - 1
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
HERE = "/inbox/staff"


def _admins_only(request: Request, actor: Actor) -> Response:
    # Refused attempts are audited by the inbox's refusal handling (issue 17, audit part).
    return page(
        request,
        "message.html",
        {
            "title": "Admins only",
            "staff": actor,
            "heading": "Admins only",
            "text": "Only an admin can manage staff accounts.",
        },
        status_code=403,
    )


@router.get("/inbox/staff")
def staff_page(request: Request, actor: CurrentActor) -> Response:
    if not actor.may("manage_staff"):  # bot/inbox/policy.py
        return _admins_only(request, actor)
    with transaction(sessions_of(request)) as session:
        named = session.execute(select(Pharmacy.id, Pharmacy.name))
        pharmacies = {pid: name for pid, name in named}
        last_seen = {
            uid: when
            for uid, when in session.execute(
                select(StaffSession.user_id, func.max(StaffSession.created_at)).group_by(
                    StaffSession.user_id
                )
            )
        }
        rows = [
            {
                "user": user,
                "where": (
                    "every pharmacy"
                    if user.is_admin
                    else ", ".join(pharmacies.get(m.pharmacy_id, "?") for m in user.memberships)
                    or "no pharmacy"
                ),
                "last_sign_in": last_seen.get(user.id),
            }
            for user in session.scalars(select(User).order_by(User.email))
        ]
        record(session, actor.audit_name, "view_staff", "staff", now_of(request))
    return page(
        request,
        "staff.html",
        {"title": "Staff", "staff": actor, "rows": rows, "roles": [r.value for r in Role]},
    )


def _change(
    request: Request, actor: Actor, user_id: int, change: Callable[[Session, User], str]
) -> Response:
    if not actor.may("manage_staff"):  # bot/inbox/policy.py
        return _admins_only(request, actor)
    try:
        with transaction(sessions_of(request)) as session:
            user = session.get(User, user_id)
            if user is None:
                return page(
                    request,
                    "message.html",
                    {
                        "title": "Not found",
                        "staff": actor,
                        "heading": "Not found",
                        "text": f"There is no staff account #{user_id}.",
                    },
                    status_code=404,
                )
            message = change(session, user)
    except (lifecycle.StaffChangeRefused, PasswordTooWeak) as refused:
        flash(request, "error", str(refused))
        return see_other(HERE)
    flash(request, "ok", message)
    return see_other(HERE)


@router.post("/inbox/staff/{user_id}/role")
def change_role(
    request: Request,
    user_id: UserId,
    actor: CurrentActor,
    _: CsrfChecked,
    role: Annotated[Role, Form()],
) -> Response:
    now = now_of(request)
    return _change(
        request,
        actor,
        user_id,
        lambda s, u: lifecycle.set_role(s, u, role, actor.audit_name, now),
    )


@router.post("/inbox/staff/{user_id}/password")
def reset_password(
    request: Request,
    user_id: UserId,
    actor: CurrentActor,
    _: CsrfChecked,
    password: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
) -> Response:
    now = now_of(request)
    return _change(
        request,
        actor,
        user_id,
        lambda s, u: lifecycle.reset_password(s, u, password, actor.audit_name, now),
    )


# The changes that need nothing but the account, by the address's last part (registered last:
# /role and /password above have their own forms).
SIMPLE_CHANGES: dict[str, Callable[[Session, User, str, dt.datetime], str]] = {
    "disable": lifecycle.disable,
    "enable": lifecycle.enable,
    "second-factor": lifecycle.reset_second_factor,
}


@router.post("/inbox/staff/{user_id}/{change}")
def simple_change(
    request: Request,
    user_id: UserId,
    change: Literal["disable", "enable", "second-factor"],
    actor: CurrentActor,
    _: CsrfChecked,
) -> Response:
    now = now_of(request)
    apply = SIMPLE_CHANGES[change]
    return _change(request, actor, user_id, lambda s, u: apply(s, u, actor.audit_name, now))
