"""The base every wire contract shares: a schema version and forward-compatible parsing."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.2"
SCHEMA_MAJOR = SCHEMA_VERSION.split(".")[0]


def _same_major(version: str) -> str:
    major = version.split(".", 1)[0]
    if major != SCHEMA_MAJOR:
        raise ValueError(
            f"schema_version {version!r} is not readable by this build "
            f"(it reads {SCHEMA_MAJOR}.x); consume the v{major} topics instead"
        )
    return version


SchemaVersion = Annotated[str, AfterValidator(_same_major)]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    # Naive datetimes on the wire are a producer bug; treating them as UTC is the
    # only reading that cannot shift an event by a timezone offset silently.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class Contract(BaseModel):
    """A message on a newswatch topic.

    Unknown fields are ignored so that a consumer built for 1.0 keeps reading 1.x.
    """

    model_config = ConfigDict(extra="ignore", frozen=False, populate_by_name=True)

    schema_version: SchemaVersion = Field(
        default=SCHEMA_VERSION,
        description="Version of this contract: MAJOR.MINOR. Minor versions only add fields.",
    )

    def to_json_bytes(self) -> bytes:
        # model_dump_json's own bytes: it decodes them to a str, which we would encode back
        # (half the cost of encoding a classified item).
        return self.__pydantic_serializer__.to_json(self, exclude_none=False)
