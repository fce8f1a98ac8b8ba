from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from newswatch.shared.settings import CommonSettings


class AlerterSettings(CommonSettings):
    """The alerter and its subscriptions API (``newswatch alerter``, ``newswatch api``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_ALERTER_", extra="ignore")

    group_id: str = Field(default="", description="Consumer group; '<prefix>-alerter' when unset.")
    retry_for_hours: float = Field(
        default=24.0,
        gt=0.0,
        le=24 * 14,
        description="How long a delivery is retried before it counts as failed (a subscription's "
        "own retry_for_hours wins); a receiver down for less than this loses nothing.",
    )
    max_attempts: int = Field(
        default=0,
        ge=0,
        description="Attempts before a delivery counts as failed; 0: no limit, the retry window "
        "(retry_for_hours) alone decides.",
    )
    backoff_base_seconds: float = Field(
        default=2.0, ge=0.0, description="The first retry waits up to this; doubles each time."
    )
    backoff_max_seconds: float = Field(
        default=600.0,
        ge=0.0,
        description="Longest wait between attempts (full jitter below it; a longer Retry-After "
        "wins).",
    )
    dead_letter_deliveries: bool = Field(
        default=True,
        description="Also publish finally failed deliveries on the dead-letter topic. Either way "
        "they are kept in Redis for `newswatch deliveries retry`.",
    )
    failed_retention: timedelta = Field(
        default=timedelta(days=14),
        gt=timedelta(0),
        description="How long a finally failed delivery is kept for `newswatch deliveries "
        "retry`; older ones are pruned (e.g. '14 days', 'P30D', '36:00:00').",
    )
    record_max_tries: int = Field(
        default=3,
        ge=1,
        description="A classified record the alerter fails to process this many times is "
        "dead-lettered and skipped, so it cannot hold up its partition.",
    )
    retry_lease_seconds: float = Field(
        default=60.0,
        gt=0.0,
        description="A claimed delivery not finished in this time is retried (its worker died).",
    )
    http_timeout_seconds: float = Field(default=10.0, gt=0.0)
    concurrency: int = Field(default=100, ge=1, description="Deliveries in flight at once.")
    subscription_refresh_seconds: float = Field(default=2.0, gt=0.0)
    story_window_minutes: int = Field(
        default=360, ge=1, description="Reports this long after a story's first join it."
    )
    followup_seconds: float = Field(
        default=900,
        gt=0,
        description="How long later reports of an alerted story, and alerts over a rate limit, "
        "gather before they are sent as one follow-up digest.",
    )
    allowed_networks: str = Field(
        default="",
        description="Comma-separated CIDRs that subscriber URLs may reach although private "
        "(e.g. 127.0.0.0/8 for local receivers). Empty: public addresses only.",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "newswatch <alerts@newswatch.local>"
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none",
        description="'starttls': upgrade the connection (port 587 or 25); 'tls': TLS from the "
        "first byte (port 465); 'none': plain text (a relay on the same host only). With TLS the "
        "server's certificate and host name are verified (see smtp_ca_file, smtp_verify).",
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA(s) that signed the SMTP server's certificate; unset: "
        "the system's trusted CAs.",
    )
    smtp_verify: bool = Field(
        default=True,
        description="Verify the SMTP server's certificate and host name; turn off only for a "
        "test relay (the password then goes to whoever answers).",
    )
    smtp_starttls: bool = Field(
        default=False, description="Older name of smtp_security=starttls; still honoured."
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = Field(
        default=None, description="Also from NEWSWATCH_ALERTER_SMTP_PASSWORD_FILE."
    )
    smtp_timeout_seconds: float = 15.0
    feedback_secret: SecretStr | None = Field(
        default=None,
        description="Signs the one-click 'False alarm' links in Slack and email alerts and digests "
        "(HMAC-SHA256); unset: alerts carry no such link. Give the alerter and the API the same.",
    )
    feedback_link_days: float = Field(
        default=7.0, gt=0.0, le=90.0, description="How long a 'False alarm' link works."
    )
    public_url: str = Field(
        default="",
        description="The API's address as officers' browsers reach it, for links in alerts "
        "(e.g. https://newswatch.example.org); unset: http://API_HOST:API_PORT.",
    )
    api_host: str = Field(default="127.0.0.1", description="Where `newswatch api` listens.")
    api_port: int = Field(default=8787, ge=1, le=65535)
    api_max_body_bytes: int = Field(
        default=65_536,
        ge=1024,
        description="Largest request body the API reads; larger ones are refused with 413.",
    )
    api_auth_failure_limit: int = Field(
        default=20,
        ge=0,
        description="Wrong or revoked API keys accepted from one client address, and for one "
        "key id, before that address or key id is locked out (429 with Retry-After) for "
        "api_auth_lockout_seconds; 0: no lockout.",
    )
    api_auth_lockout_seconds: int = Field(
        default=300,
        ge=1,
        description="How long failed API keys are counted, and how long a lockout lasts.",
    )
    console_session_minutes: float = Field(
        default=480.0,
        gt=0.0,
        le=7 * 24 * 60,
        description="How long a watch-officer console session (signed in with an API key) lasts "
        "without use; each request renews it.",
    )
    console_admin_teams: str = Field(
        default="admin",
        description="Comma-separated teams whose API keys are administrators in the console "
        "(they see the feeds health page).",
    )

    @property
    def smtp_tls_mode(self) -> str:
        """smtp_security, with the older smtp_starttls=true read as 'starttls'."""
        return (
            "starttls"
            if self.smtp_security == "none" and self.smtp_starttls
            else self.smtp_security
        )

    @property
    def consumer_group(self) -> str:
        return self.group_id or f"{self.topic_prefix}-alerter"
