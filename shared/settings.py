"""Settings every service shares, read from the environment.

Each service extends :class:`CommonSettings` with its own class (``FetcherSettings``,
``ClassifierSettings``, ``AlerterSettings``); every variable is listed in the README.
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswatch.shared.topics import Topics


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

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def redis_prefix(self) -> str:
        """Redis keys share the topic prefix, so two pipelines can share one server."""
        return self.topic_prefix
