"""API keys: one team each, stored hashed, issued and revoked by an administrator.

A key is ``nwk_<id>_<secret>``: the id names it in lists and logs, the secret is
32 random bytes. Redis keeps SHA-256 of the whole key, never the key: with that
much entropy a fast hash is as safe as a slow one, and checking stays cheap.

Keys (``{prefix}:api:...``): ``keys`` hash sha256 -> ApiKey JSON; ``key_ids``
hash id -> sha256.
"""

import hashlib
import re
import secrets

from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from newswatch.shared.contracts.base import UtcDatetime, utc_now
from newswatch.shared.contracts.subscriptions import TEAM_PATTERN


class ApiKey(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    team: str = Field(pattern=TEAM_PATTERN)
    name: str = ""
    created_at: UtcDatetime = Field(default_factory=utc_now)
    revoked_at: UtcDatetime | None = None


_KEY_ID = re.compile(r"nwk_([0-9a-f]{12})_")


def key_id(key: str) -> str | None:
    """The id part of a well-formed key (``nwk_<id>_<secret>``), or None."""
    found = _KEY_ID.match(key)
    return found.group(1) if found else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = f"{prefix}:api:keys"
        self._ids = f"{prefix}:api:key_ids"

    async def create(self, team: str, name: str = "") -> tuple[ApiKey, str]:
        """The new key's record and the key itself, which is shown once and never stored."""
        record = ApiKey(id=secrets.token_hex(6), team=team, name=name)
        key = f"nwk_{record.id}_{secrets.token_urlsafe(32)}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys, _digest(key), record.model_dump_json())
            pipe.hset(self._ids, record.id, _digest(key))
            await pipe.execute()
        return record, key

    async def authenticate(self, key: str) -> ApiKey | None:
        if not key.startswith("nwk_") or len(key) > 200:
            return None
        raw = await self._redis.hget(self._keys, _digest(key))
        if raw is None:
            return None
        record = ApiKey.model_validate_json(raw)
        return None if record.revoked_at else record

    async def get(self, key_id: str) -> ApiKey | None:
        """A key's record by its id (revoked ones too), e.g. to check a console session's key."""
        digest = await self._redis.hget(self._ids, key_id)
        raw = await self._redis.hget(self._keys, digest) if digest else None
        return ApiKey.model_validate_json(raw) if raw else None

    async def revoke(self, key_id: str) -> ApiKey | None:
        digest = await self._redis.hget(self._ids, key_id)
        raw = await self._redis.hget(self._keys, digest) if digest else None
        if raw is None:
            return None
        record = ApiKey.model_validate_json(raw)
        if record.revoked_at is None:
            record.revoked_at = utc_now()
            await self._redis.hset(self._keys, digest, record.model_dump_json())
        return record

    async def all(self) -> list[ApiKey]:
        records = [
            ApiKey.model_validate_json(v) for v in (await self._redis.hgetall(self._keys)).values()
        ]
        return sorted(records, key=lambda r: (r.team, r.created_at))
