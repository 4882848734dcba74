"""Outbound messaging inside the web app: the jobs it hands sends to, Twilio's status
callbacks, and (without Redis) the periodic anchor-cycle job in a background thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bot.channels import status
from bot.clock import Clock
from bot.outreach.deliveries import SendingPolicy
from bot.outreach.delivery_reports import DeliveryReports
from bot.outreach.jobs import Jobs
from bot.outreach.running_jobs import in_process_ticker
from bot.outreach.sender import Sender
from bot.outreach.worker import make_jobs, status_callback_url
from bot.settings import Settings
from bot.settings.outreach import OutreachSettings


def outreach_jobs(
    settings: Settings, sessions: sessionmaker[Session], sender: Sender, clock: Clock
) -> Jobs:
    """RQ when MEDSYNC_REDIS_URL is set; else sends in this process, under the same rules."""
    outreach = OutreachSettings()
    policy = SendingPolicy(settings=outreach, status_callback=status_callback_url(settings))
    return make_jobs(settings.redis_url, sessions, sender, clock, policy, outreach.queue_name)


def attach_outreach(app: FastAPI) -> None:
    """Route /twilio/status; without Redis, run the periodic job while the app runs."""
    app.include_router(status.router)
    app.state.delivery_reports = DeliveryReports(app.state.sessions, app.state.clock)
    settings: Settings = app.state.settings
    outreach = OutreachSettings()
    if settings.redis_url or not outreach.scheduler_in_web:
        return
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        ticker = in_process_ticker(
            app.state.sessions,
            app.state.runtime,
            app.state.jobs,
            app.state.clock,
            outreach,
            app.state.settings,
        )
        ticker.start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            ticker.stop()

    app.router.lifespan_context = lifespan
