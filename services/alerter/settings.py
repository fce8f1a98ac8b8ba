from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from newswatch.shared.settings import CommonSettings


class AlerterSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_ALERTER_", extra="ignore")

    group_id: str = Field(default="", description="Consumer group; '<prefix>-alerter' when unset.")
    max_attempts: int = Field(
        default=5, ge=1, description="Delivery attempts before dead-lettering."
    )
    backoff_base_seconds: float = Field(default=1.0, ge=0.0)
    backoff_max_seconds: float = Field(default=60.0, ge=0.0)
    http_timeout_seconds: float = Field(default=10.0, gt=0.0)
    concurrency: int = Field(default=20, ge=1, description="Deliveries in flight at once.")
    subscription_refresh_seconds: float = Field(default=2.0, gt=0.0)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "newswatch <alerts@newswatch.local>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 15.0

    @property
    def consumer_group(self) -> str:
        return self.group_id or f"{self.topic_prefix}-alerter"
