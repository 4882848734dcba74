"""Settings for phone calls (MEDSYNC_VOICE_*): how patient a call is, and how often it tries."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class VoiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDSYNC_VOICE_", extra="ignore")

    # Speech recognised with less confidence than this is asked again (Confidence is 0-1).
    confidence_threshold: float = 0.5
    # Re-prompts of one question (silence, unclear speech, an answer the dialog re-asks);
    # past this the call offers the pharmacy or a message. Two silences in a row do too.
    max_reprompts: int = 2
    # A call never loops: past this long, or this many steps, it says goodbye. Outbound calls
    # also ask Twilio to end them at this length.
    max_call_seconds: int = 900
    max_steps: int = 60
    # Seconds of silence before a question counts as unanswered.
    gather_timeout: int = 5
    # Seconds the pharmacy's phone rings on a transfer before the caller may leave a message.
    dial_timeout: int = 25
    message_max_seconds: int = 120
    # An unanswered outbound call (busy, no answer, failed) is tried once more, this much later
    # and inside the allowed hours.
    retry_after_minutes: int = 60
    # DetectMessageEnd waits for a greeting's beep, so a voicemail is heard from its start.
    machine_detection: str = "DetectMessageEnd"
