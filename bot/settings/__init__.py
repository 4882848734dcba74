"""Settings from the environment (MEDSYNC_*, TWILIO_*), with the embedded default."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDSYNC_", extra="ignore")

    # A SQLite file in the working directory unless told otherwise.
    database_url: str = "sqlite:///medsync.db"
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
    # twilio (the real API), console (print to the terminal) or null (keep in memory).
    sender: str = "auto"
    # Days without invitations after a patient says no to med sync.
    decline_quiet_days: int = 180
    # Days between the choice of an anchor day and the first synced pickup, at least.
    preparation_days: int = 3
    # Where `serve --demo` keeps its generated Twilio auth token for `medsync chat`.
    demo_token_file: str = "medsync.demo-token"
    # Signs the inbox's session cookies (MEDSYNC_SECRET_KEY). Unset: a random key per process,
    # so staff sign in again after a restart.
    secret_key: str = ""

    @property
    def sender_kind(self) -> str:
        if self.sender != "auto":
            return self.sender
        return "twilio" if self.twilio_account_sid and self.twilio_auth_token else "console"


def get_settings() -> Settings:
    """Read afresh each time: cheap, and tests and the CLI can change the environment."""
    return Settings()
