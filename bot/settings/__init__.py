"""Settings from the environment (MEDSYNC_*, TWILIO_*), with the embedded default."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDSYNC_", extra="ignore")

    # A SQLite file in the working directory unless told otherwise.
    database_url: str = "sqlite:///medsync.db"
    # PostgreSQL: the owner of the tables, for `medsync db upgrade` only; the app serves as
    # a role that may not change the audit trail (DEPLOY.md). Unset: database_url.
    owner_database_url: str | None = None
    # Unset: jobs run inside the web process (the embedded default).
    redis_url: str | None = None
    # The base URL Twilio calls (behind a TLS proxy this is the https address, not what the
    # app sees). Unset: the address of the incoming request, fine only for local use.
    public_url: str | None = None
    twilio_account_sid: str = Field(
        default="",
        validation_alias=AliasChoices("TWILIO_ACCOUNT_SID", "MEDSYNC_TWILIO_ACCOUNT_SID"),
    )
    twilio_auth_token: str = Field(
        default="", validation_alias=AliasChoices("TWILIO_AUTH_TOKEN", "MEDSYNC_TWILIO_AUTH_TOKEN")
    )
    twilio_api_url: str = "https://api.twilio.com"
    # twilio (the real API), console (print to the terminal) or null (keep in memory). Unset:
    # twilio, which needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; `serve --demo` alone uses
    # console. Nothing ever falls back to printing texts instead of sending them.
    sender: str | None = None
    # The console sender prints who a text went to and its length; its words only when this
    # is true (they may name a patient or a medicine).
    console_shows_bodies: bool = False
    # Days without invitations after a patient says no to med sync.
    decline_quiet_days: int = 180
    # Days between the choice of an anchor day and the first synced pickup, at least.
    preparation_days: int = 3
    # A staff member's reply keeps a two-way thread open this many hours (or until its item is
    # decided): what the patient writes back outside a dialog question goes to that item.
    staff_thread_hours: float = Field(default=72, gt=0)
    # Where `serve --demo` keeps its generated Twilio auth token for `medsync chat`.
    demo_token_file: str = "medsync.demo-token"
    # Signs the inbox's session cookies (MEDSYNC_SECRET_KEY). Unset: a random key per process,
    # so staff sign in again after a restart.
    secret_key: str = ""
    # While MEDSYNC_SECRET_KEY changes: the old key (MEDSYNC_PREVIOUS_SECRET_KEY), which still
    # opens second-factor secrets sealed with it until they are sealed again with the new one
    # (bot/inbox/secret_box.py). It signs no session cookie: staff sign in again.
    previous_secret_key: str = ""
    # A staff session ends after this many minutes without a request, and in any case this
    # many hours after signing in.
    session_idle_minutes: int = Field(default=15, ge=1)
    session_hours: float = Field(default=12, gt=0)
    # Admins must set up a second factor (TOTP) before they reach any page.
    admin_second_factor: bool = False
    # An API token expires this many days after it is made unless `--expires` says otherwise.
    token_days: int = Field(default=90, ge=1)
    # `medsync serve` trusts X-Forwarded-For from these addresses (the TLS proxy), so
    # sign-in throttling sees each browser's own address (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: str = "127.0.0.1"
    # Where a `medsync` command writes the details of an error it did not expect.
    error_log: str = ""

    @property
    def sender_kind(self) -> str:
        return self.sender or "twilio"


class SettingMissing(ValueError):
    """A setting this needs is missing or half set: the message names it, in a sentence."""


def twilio_problem(settings: Settings) -> str | None:
    """What is missing to send through Twilio, as a sentence; None when nothing is (or when
    the sender is not Twilio). Half a configuration is never quietly turned into printing."""
    if settings.sender_kind not in ("twilio",):
        return None
    sid, token = settings.twilio_account_sid.strip(), settings.twilio_auth_token.strip()
    if not sid and not token:
        return (
            "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to send texts and place calls "
            "through Twilio (or MEDSYNC_SENDER=console to only print them, for trying it out)."
        )
    if not sid:
        return (
            "TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not: set it to your Twilio "
            "account's SID (it starts with AC)."
        )
    if not token:
        return (
            "TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not: set it to your Twilio "
            "account's auth token."
        )
    if not sid.startswith("AC"):
        return f"TWILIO_ACCOUNT_SID should start with AC (it starts with {sid[:2]!r})."
    return None


def get_settings() -> Settings:
    """Read afresh each time: cheap, and tests and the CLI can change the environment."""
    return Settings()
