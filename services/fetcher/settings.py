from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from newswatch.shared.settings import CommonSettings


class FetcherSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_FETCHER_", extra="ignore")

    feeds_file: Path = Field(default=Path("feeds.yaml"), description="YAML feed list or OPML file.")
    default_interval_seconds: float = Field(default=300.0, ge=1.0)
    concurrency: int = Field(default=50, ge=1, description="Feeds fetched at once, in all.")
    per_host_concurrency: int = Field(
        default=2, ge=1, description="Feeds fetched at once per host."
    )
    min_interval_seconds: float = Field(default=60.0, ge=1.0)
    max_interval_seconds: float = Field(default=3600.0, ge=1.0)
    max_backoff_seconds: float = Field(default=6 * 3600.0, ge=1.0)
    registry_refresh_seconds: float = Field(default=5.0, gt=0.0)
    dependency_backoff_max_seconds: float = Field(
        default=30.0,
        gt=0.0,
        description="While Redis or Kafka is unreachable, retries wait 1 s, 2 s, 4 s ... up to "
        "this (jittered); polling resumes on its own within about this long after it is back.",
    )
    lease_ttl_seconds: float = Field(
        default=20.0, gt=0.0, description="A dead instance's feeds move to the others after this."
    )
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 30.0
    total_timeout_seconds: float = Field(
        default=60.0,
        gt=0.0,
        description="Whole fetch, so a server dripping bytes cannot hold a slot.",
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_redirects: int = 5
    user_agent: str = "newswatch/0.1 (feed monitor)"
    once: bool = Field(default=False, description="Poll every feed once, then exit.")
