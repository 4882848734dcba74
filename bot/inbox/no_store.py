"""`Cache-Control: no-store` on every answer but the inbox's stylesheet: pages, CSV exports,
charts, the JSON API and the Twilio webhooks' TwiML all may carry patient data, which must not
linger in a shared browser's cache or a proxy's. An answer that set its own Cache-Control
keeps it (none does today)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHEABLE = ("/static/",)  # our own stylesheet, the same for everyone


class NoStore:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CACHEABLE):
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, marked)
