"""A message a service could not process: the reason, and enough of the message to act on it."""

from pydantic import Field

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now


class DeadLetter(Contract):
    service: str = Field(description="fetcher, classifier or alerter.")
    source_topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    error_kind: str = Field(description="Short machine-readable reason, e.g. 'invalid_json'.")
    error: str = Field(description="Human-readable reason.")
    payload: str = Field(
        description=(
            "The original message value decoded as UTF-8 with replacement; since 1.2 only a "
            "prefix of it when payload_truncated is true, so the dead letter fits in a message."
        )
    )
    payload_bytes: int | None = Field(
        default=None,
        ge=0,
        description="Size of the original value in bytes (since 1.2; unset from older writers).",
    )
    payload_sha256: str | None = Field(
        default=None,
        description=(
            "Hex SHA-256 of the original value's bytes, to find or compare the original "
            "(since 1.2; unset from older writers)."
        ),
    )
    payload_truncated: bool = Field(
        default=False,
        description="True when payload holds only a prefix of the original value (since 1.2).",
    )
    failed_at: UtcDatetime = Field(default_factory=utc_now)
