"""API tokens: made by `medsync token create`, sent as `Authorization: Bearer ...`, stored only
as a SHA-256. A token acts with its owner's pharmacies and role, within its scopes
(store/accounts.py `Scope`), until it expires, is revoked, or its owner is disabled; each use
records when and from which address it was last used.

A route asks for the scope it needs:

    actor: Annotated[Actor, Depends(needs(Scope.POST_DISPENSING))]

A token without that scope is answered 403 naming the scope; an unknown, expired or revoked
token, or one whose owner is disabled, 401.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.inbox.auth import client_address
from bot.inbox.staff import Actor, actor_for
from bot.inbox.web import now_of, sessions_of
from store.accounts import ApiToken, Scope, User, scopes_text
from store.db import transaction

TOKEN_PREFIX = "msk_"
# Scopes a new token gets unless `--scope` names others: everything but posting dispensing
# events, which a pharmacy system's own integration asks for explicitly.
DEFAULT_SCOPES = frozenset({Scope.READ_ITEMS, Scope.DECIDE, Scope.READ_PATIENTS})
# When and where a token was last used is written at most this often, not on every call.
USE_NOTED_EVERY = dt.timedelta(seconds=60)

bearer = HTTPBearer(auto_error=False, description="An API token from `medsync token create`.")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    user: User,
    name: str,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
    scopes: frozenset[Scope] = DEFAULT_SCOPES,
    days: int = 90,
) -> tuple[ApiToken, str]:
    """A new token for `user`; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:100],
        token_hash=token_digest(secret),
        prefix=secret[:12],
        created_at=now,
        expires_at=expires_at or now + dt.timedelta(days=days),
        scopes=scopes_text(scopes),
    )
    session.add(token)
    session.flush()
    return token, secret


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def token_actor(request: Request, secret: str, scope: Scope | None) -> Actor:
    now = now_of(request)
    with transaction(sessions_of(request)) as session:
        found = session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_digest(secret))
        ).first()
        if found is None:
            raise _unauthorized("That API token is not known.")
        token, user = found
        if token.revoked_at is not None:
            raise _unauthorized("That API token has been revoked.")
        if not user.active:
            raise _unauthorized("That API token's account is disabled.")
        if token.expires_at is None or token.expires_at <= now:
            raise _unauthorized(
                "That API token has expired: make a new one with `medsync token create`."
            )
        address = client_address(request)[:64]
        last = token.last_used_at
        if last is None or now - last >= USE_NOTED_EVERY or token.last_used_from != address:
            token.last_used_at = now
            token.last_used_from = address
        actor = actor_for(session, user, via_token=token.name)
        request.state.actor = actor  # who a refused call is audited as (inbox/refusals.py)
        if scope is not None and scope not in token.scope_set:
            raise HTTPException(
                status_code=403,
                detail=f"This API token may not do this: it needs the scope {scope.value}.",
            )
        return actor


def needs(scope: Scope) -> Callable[..., Actor]:
    """A dependency: the token's actor, when the token has `scope`."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorized("Send an API token as `Authorization: Bearer <token>`.")
        return token_actor(request, credentials.credentials, scope)

    dependency.__name__ = f"needs_{scope.name.lower()}"
    return dependency


ItemsReader = Annotated[Actor, Depends(needs(Scope.READ_ITEMS))]
Decider = Annotated[Actor, Depends(needs(Scope.DECIDE))]
PatientsReader = Annotated[Actor, Depends(needs(Scope.READ_PATIENTS))]
DispensingPoster = Annotated[Actor, Depends(needs(Scope.POST_DISPENSING))]
