"""CSRF protection for every form that changes something: a per-session secret token,
sent back in a hidden field and compared in constant time. (The session cookie is also
SameSite=Lax; the token covers older browsers and same-site attackers.)"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

FIELD = "csrf_token"


class CsrfFailed(Exception):
    """The form carried no token, or not this session's."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def renew(request: Request) -> None:
    """A new token when the session changes hands (signing in or out)."""
    request.session["csrf"] = secrets.token_urlsafe(32)


async def require_csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get("csrf")
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not expected
        or not secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfFailed()


CsrfChecked = Annotated[None, Depends(require_csrf)]
