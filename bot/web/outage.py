"""The database not answering: a 503 the caller can retry, never a dropped connection.

An error that escapes every handler reaches Starlette's last-resort middleware, which answers
500 and re-raises; uvicorn then logs the whole traceback and closes the connection after the
answer. A client reusing that connection (Twilio's retry, a browser's next page) can find it
closed under it. Answered here instead, the outage is one plain answer on a connection that
stays open, with Retry-After, and one log line that names no patient.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import PlainTextResponse, Response

log = logging.getLogger("medsync.web")

RETRY_AFTER_SECONDS = 5
MESSAGE = "The pharmacy's database is not answering just now; try again shortly."


def install(app: FastAPI) -> None:
    # Errors of the connection, not of a statement: the server stopped, restarting,
    # unreachable, a pooled connection it dropped, or no connection free in time.
    for kind in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(kind, database_unavailable)


async def database_unavailable(request: Request, error: Exception) -> Response:
    log.warning(
        "database unavailable for %s %s: %s",
        request.method,
        request.url.path,
        type(getattr(error, "orig", None) or error).__name__,
    )
    return PlainTextResponse(
        MESSAGE, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )
