import tempfile
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from newswatch.shared.settings import CommonSettings


class ClassifierSettings(CommonSettings):
    """The classifier's settings. The stream ones trade a little latency for throughput: a
    batch of up to ``batch_size`` records is classified and its sends confirmed together
    before its offsets are acknowledged (at least once), and Kafka's producer gathers the
    sends in large batches. The group ones decide how fast a restarted worker resumes."""

    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_CLASSIFIER_", extra="ignore")

    tags_dir: Path | None = Field(
        default=None, description="Folder of tag YAML files; the built-in four when unset."
    )
    group_id: str = Field(
        default="", description="Consumer group; '<prefix>-classifier' when unset."
    )
    instance_id: str = Field(
        default="",
        description=(
            "Static group membership (Kafka's group.instance.id), unique per worker, e.g. the "
            "host name. A worker restarted with the same id gets its partitions back at once, "
            "without a rebalance; one stopped for good keeps them until the session timeout. "
            "Empty: dynamic membership."
        ),
    )
    shutdown_seconds: float = Field(
        default=20.0,
        gt=0,
        description=(
            "On SIGTERM or Ctrl-C the worker stops within this long: with its broker gone, "
            "faust waited minutes on sends that could not complete. Nothing is lost: the "
            "offsets of records not confirmed stay uncommitted, and the next worker classifies "
            "them again. Under Kubernetes' 30 s grace period."
        ),
    )
    session_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "A worker that sends no heartbeat this long (killed, frozen) loses its partitions "
            "to the others; a restarted one waits at most this long for its old self to expire."
        ),
    )
    heartbeat_interval_seconds: float = Field(
        default=3.0, gt=0, description="Heartbeats to the group; a third of the session timeout."
    )
    batch_size: int = Field(
        default=500, ge=1, description="Records classified and confirmed together at most."
    )
    batch_wait_seconds: float = Field(
        default=0.05,
        gt=0,
        description="A batch that is not full is processed after this long (added latency).",
    )
    fetch_bytes_per_partition: int = Field(
        default=4 * 1024 * 1024,
        ge=1024 * 1024,
        description=(
            "Most bytes one fetch brings per partition (Kafka's max.partition.fetch.bytes). "
            "The consumer asks for a partition's next chunk only once the last one is handed "
            "over; a chunk of a few thousand items keeps the worker from waiting on the broker."
        ),
    )
    poll_records: int = Field(
        default=4000,
        ge=1,
        description=(
            "Most records handed from the consumer to the stream at once (max.poll.records); "
            "at least a batch, so that a whole fetched chunk moves over in one hand-over."
        ),
    )
    send_attempts: int = Field(
        default=3,
        ge=1,
        description=(
            "Attempts to publish a record's results (and then its dead letter) before the "
            "record is dead-lettered (or its dead letter sent without payload)."
        ),
    )
    producer_linger_ms: int = Field(
        default=5, ge=0, description="How long the producer waits to fill a batch."
    )
    producer_batch_bytes: int = Field(
        default=262_144, ge=16_384, description="Largest producer batch per partition, bytes."
    )
    data_dir: Path | None = Field(
        default=None,
        description=(
            "faust's data directory (it keeps nothing durable there: tables are in memory, "
            "offsets in Kafka). Unset: '<group>-data' in the temporary directory (TMPDIR, "
            "else /tmp), writable by any user; never the working directory, which an image's "
            "unprivileged user cannot write."
        ),
    )
    producer_compression: str | None = Field(
        default=None,
        description="Producer compression: unset (none) or 'gzip' (CPU for network and disk).",
    )

    @property
    def app_id(self) -> str:
        return self.group_id or f"{self.topic_prefix}-classifier"

    @property
    def datadir(self) -> Path:
        return self.data_dir or Path(tempfile.gettempdir()) / f"{self.app_id}-data"
