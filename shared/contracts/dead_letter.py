"""A message a service could not process, kept whole with the reason."""

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
        description="The original message value, decoded as UTF-8 with replacement."
    )
    failed_at: UtcDatetime = Field(default_factory=utc_now)
