"""Settings for everything the bot sends unprompted (MEDSYNC_*): the legal limits as
COMPLIANCE.md gives them, the anchor-cycle timings from DOMAIN.md, and the job plumbing."""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OutreachSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDSYNC_", extra="ignore")

    # When automated texts and calls may go out, in the recipient's local time (outside it
    # are the quiet hours): federal 8:00-21:00; some states end earlier (Florida and
    # Oklahoma 20:00). Where several rules or zones apply, the stricter wins.
    sending_hours_start: dt.time = dt.time(8, 0)
    sending_hours_end: dt.time = dt.time(21, 0)
    sending_hours_end_by_state: dict[str, dt.time] = {"FL": dt.time(20, 0), "OK": dt.time(20, 0)}
    # FCC 15-72: automated messages per patient (a pharmacist's own messages are not counted).
    cap_per_day: int = Field(default=1, ge=1)
    cap_per_week: int = Field(default=3, ge=1)
    # Per sending number, counting SMS segments (toll-free default: 3 a second).
    segments_per_second: float = Field(default=3.0, gt=0)
    # 30003 (unreachable handset), 429 and 5xx are retried after these many seconds; then failed.
    retry_intervals: list[int] = [10, 30, 60]
    # A send that started this long ago and never finished (a worker killed mid-send) is
    # checked against Twilio's records before anything is sent again.
    send_lease_seconds: int = 60
    send_timeout_seconds: float = 10.0
    # The anchor cycle (DOMAIN.md): check-in 7 days before, follow-up after 48 h without an
    # answer, staff call list at T-3, pickup reminder the day before.
    check_in_days_before: int = 7
    follow_up_hours: int = 48
    call_list_days_before: int = 3
    pickup_reminder_days_before: int = 1
    # How often the periodic job looks for what is due, in seconds.
    scheduler_interval: int = Field(default=300, ge=1)
    # A queued row this long past its time with no job in sight is enqueued again.
    sweep_grace_seconds: int = 120
    # Run the periodic job inside `medsync serve` when there is no Redis (the embedded default).
    scheduler_in_web: bool = True
    queue_name: str = "medsync"

    @property
    def max_attempts(self) -> int:
        return len(self.retry_intervals) + 1

    def retry_delay(self, attempt: int) -> int:
        """Seconds before attempt `attempt + 1`, after `attempt` attempts failed for a while."""
        if not self.retry_intervals:
            return 0
        return self.retry_intervals[min(attempt, len(self.retry_intervals)) - 1]
