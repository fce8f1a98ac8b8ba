"""Settings every service shares, read from the environment.

Each service extends :class:`CommonSettings` with its own class (``FetcherSettings``,
``ClassifierSettings``, ``AlerterSettings``); every variable is listed in docs/operations/configuration.md.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from newswatch.shared.secrets_files import file_sources
from newswatch.shared.topics import Topics

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    redis_url: str = Field(default="redis://127.0.0.1:16379/0", validation_alias="REDIS_URL")
    topic_prefix: str = Field(
        default="newswatch",
        validation_alias="NEWSWATCH_TOPIC_PREFIX",
        pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$",
    )
    topic_partitions: int = Field(default=4, ge=1, validation_alias="NEWSWATCH_TOPIC_PARTITIONS")
    topic_replication: int = Field(default=1, ge=1, validation_alias="NEWSWATCH_TOPIC_REPLICATION")
    log_level: str = Field(default="INFO", validation_alias="NEWSWATCH_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias="NEWSWATCH_LOG_FORMAT",
        description="'json': one JSON object per log line (ts, level, logger, service, message, "
        "item_id/story_id where known), from the service and its libraries alike.",
    )
    health_port: int = Field(
        default=9108,
        ge=0,
        le=65535,
        validation_alias="NEWSWATCH_HEALTH_PORT",
        description="Port of /healthz, /readyz and /metrics (Prometheus) on every service; 0: off.",
    )

    kafka_metadata_max_age_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias="NEWSWATCH_KAFKA_METADATA_MAX_AGE_SECONDS",
        description="How often consumers and producers refresh the brokers' metadata: partitions "
        "added to a topic (newswatch topics create --partitions N) are read and written within "
        "about this long. Kafka's default, 300, left them idle for up to five minutes.",
    )

    # Kafka security: one set for every client (producers, consumers, admin, faust).
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT",
        validation_alias="NEWSWATCH_KAFKA_SECURITY_PROTOCOL",
        description="PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (TLS and a user name and "
        "password; what managed Kafka services use).",
    )
    kafka_sasl_mechanism: KafkaSaslMechanism = Field(
        default="PLAIN",
        validation_alias="NEWSWATCH_KAFKA_SASL_MECHANISM",
        description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL_* protocols only).",
    )
    kafka_sasl_username: str | None = Field(
        default=None, validation_alias="NEWSWATCH_KAFKA_SASL_USERNAME"
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None,
        validation_alias="NEWSWATCH_KAFKA_SASL_PASSWORD",
        description="Also from NEWSWATCH_KAFKA_SASL_PASSWORD_FILE or the secrets directory.",
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        validation_alias="NEWSWATCH_KAFKA_SSL_CAFILE",
        description="PEM file of the CA(s) that signed the brokers' certificates; unset: the "
        "system's trusted CAs.",
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None,
        validation_alias="NEWSWATCH_KAFKA_SSL_CERTFILE",
        description="PEM client certificate, for brokers that require one (mutual TLS).",
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None,
        validation_alias="NEWSWATCH_KAFKA_SSL_KEYFILE",
        description="PEM private key of the client certificate.",
    )
    kafka_ssl_check_hostname: bool = Field(
        default=True,
        validation_alias="NEWSWATCH_KAFKA_SSL_CHECK_HOSTNAME",
        description="Check that the broker's certificate names the host connected to; turn off "
        "only for brokers reached by an address their certificate does not list.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Any setting can come from a file: <VAR>_FILE, or NEWSWATCH_SECRETS_DIR/<VAR>.
        return (init_settings, env_settings, *file_sources(settings_cls), dotenv_settings)

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> "CommonSettings":
        # Caught at start-up with the variable's name, not as a broker's opaque refusal later.
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"NEWSWATCH_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "NEWSWATCH_KAFKA_SASL_USERNAME and NEWSWATCH_KAFKA_SASL_PASSWORD"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError(
                "NEWSWATCH_KAFKA_SSL_CERTFILE and NEWSWATCH_KAFKA_SSL_KEYFILE go together"
            )
        return self

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def redis_prefix(self) -> str:
        """Redis keys share the topic prefix, so two pipelines can share one server."""
        return self.topic_prefix
