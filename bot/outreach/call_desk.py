"""The call desk: answering Twilio's requests on calls (bot/conversation/calls/) plus what
outreach adds to calls: placing them inside the allowed hours, and their status callbacks
(an unanswered call is retried once)."""

from __future__ import annotations

import datetime as dt
import logging

from bot.channels.voice import CallForm
from bot.conversation.calls.desk import Calls
from bot.conversation.runtime import Runtime
from bot.outreach.call_placing import CallPlacer, ScheduledCall
from bot.outreach.caller import Caller
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from store.calls import CallPurpose, locked_call
from store.db import transaction

log = logging.getLogger(__name__)


class CallDesk(Calls):
    def __init__(
        self,
        runtime: Runtime,
        settings: VoiceSettings | None = None,
        outreach: OutreachSettings | None = None,
    ) -> None:
        super().__init__(runtime, settings, outreach)
        self.placer = CallPlacer(self.sessions, self.clock, self.settings, self.outreach)

    def status(self, form: CallForm, call_id: int | None) -> None:
        """A call status callback: recorded, moving forward only; unanswered calls retried once."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            found = self._find(session, call_id, form.call_sid)
            if found is None:
                log.info("status callback for a call MedSync does not know; ignored")
                return
            call = locked_call(session, found.id)
            if call.call_sid is None and form.call_sid:
                call.call_sid = form.call_sid
            if form.answered_by and not call.answered_by:
                call.answered_by = form.answered_by
            if form.duration is not None:
                call.duration = form.duration
            self.placer.after_status(session, call, form.call_status, now)

    def schedule(
        self,
        pharmacy_id: int,
        external_id: str,
        purpose: CallPurpose,
        anchor_date: dt.date | None = None,
    ) -> ScheduledCall:
        """Write an invitation or check-in call, placed inside the allowed hours (CallPlacer)."""
        return self.placer.schedule(pharmacy_id, external_id, purpose, anchor_date)

    def place(self, call_id: int, caller: Caller, base: str) -> str:
        return self.placer.place(call_id, caller, base)

    def place_due(self, caller: Caller, base: str) -> list[str]:
        return self.placer.place_due(caller, base)

    def run_due(self, caller: Caller, base: str) -> list[str]:
        """What a scheduler tick does for calls: write the check-in and pickup-reminder calls
        that are due for patients who get no texts, then place every call whose time has come."""
        self.placer.schedule_check_in_calls()
        self.placer.schedule_reminder_calls()
        return self.placer.place_due(caller, base)
