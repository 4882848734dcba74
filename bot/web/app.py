"""The FastAPI application: the Twilio webhooks, the pharmacist's inbox and the JSON API."""

from __future__ import annotations

import anyio
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from bot import inbox
from bot.channels import sms, voice
from bot.clock import Clock, SystemClock
from bot.conversation.runtime import runtime_for
from bot.outreach.call_desk import CallDesk
from bot.outreach.jobs import Jobs
from bot.outreach.sender import Sender, sender_for
from bot.settings import Settings, get_settings
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from bot.web import api, dispensing_api, heap, outage
from bot.web.outreach import attach_outreach, outreach_jobs
from store.db import concurrent_writers, make_engine, make_sessionmaker

SWAGGER = "/static/inbox/vendor/swagger-ui"


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    sender: Sender | None = None,
    jobs: Jobs | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    clock = clock or SystemClock()
    sender = sender or sender_for(settings)
    app = FastAPI(title="MedSync", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.sender = sender
    app.state.jobs = jobs or outreach_jobs(settings, sessions, sender, clock)
    app.state.runtime = runtime_for(settings, sessions, clock)
    # Texts and calls' turns run in a lane as wide as the database's writers (bot/channels/
    # twilio_webhook.py in_lane), not in the default pool of 40 threads.
    app.state.conversation_lane = anyio.CapacityLimiter(concurrent_writers(engine))
    # The Twilio edges (bot/channels/) answer through these two: texts and calls.
    app.state.calls = CallDesk(app.state.runtime, VoiceSettings(), OutreachSettings())
    app.include_router(sms.router)
    app.include_router(voice.router)
    attach_outreach(app)
    inbox.install(app)
    app.include_router(api.router)
    app.include_router(dispensing_api.router)

    app.add_api_route("/api/docs", api_docs, include_in_schema=False)
    app.add_api_route("/healthz", healthz)
    outage.install(app)
    heap.settle_on_start(app)
    return app


def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI's files come from the package (bot/inbox/static/vendor/swagger-ui), never a
    CDN: the page works on a pharmacy network without internet. A module-level function, not a
    closure over the app: FastAPI caches facts about endpoints by identity, and a closure would
    keep every app (and its database pool) alive."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="MedSync API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
    )


def healthz() -> dict[str, str]:
    return {"status": "ok"}
