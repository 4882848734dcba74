"""The FastAPI application: webhooks now, the pharmacist's inbox later."""

from __future__ import annotations

from fastapi import FastAPI

from bot.channels import sms
from bot.clock import Clock, SystemClock
from bot.runtime import Runtime
from bot.settings import Settings, get_settings
from store.db import make_engine, make_sessionmaker


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    app = FastAPI(title="MedSync", version="0.1.0", docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.runtime = Runtime(
        sessions,
        clock or SystemClock(),
        render_sms=sms.render_sms,
        preparation_days=settings.preparation_days,
        decline_quiet_days=settings.decline_quiet_days,
    )
    app.include_router(sms.router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
