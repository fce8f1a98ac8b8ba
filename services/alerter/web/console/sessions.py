"""Console sessions in Redis: signed in with an API key, then a cookie for a while.

The cookie carries a random token; Redis keeps, under the token's SHA-256 (a stolen dump
of Redis opens no session), the key's id and team, the CSRF token every form must echo,
and whether the key is an administrator's. A session expires after
``console_session_minutes`` without use; each request renews it. The key itself is
never stored: each request checks that the key is still valid, so revoking a key ends
its sessions at once.

Keys (``{prefix}:console:...``): ``session:{sha256(token)}`` JSON, expiring.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from newswatch.alerter.keys import ApiKey

COOKIE = "nw_console"


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    team: str
    who: str  # the key's name, else its id: what acknowledgements show
    csrf: str
    admin: bool

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf, given or "")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def admin_teams(setting: str) -> frozenset[str]:
    return frozenset(t.strip() for t in setting.split(",") if t.strip())


class SessionStore:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:console:session"
        self.ttl_seconds = ttl_seconds

    def key(self, token: str) -> str:
        return f"{self._prefix}:{_digest(token)}"

    async def create(self, key: ApiKey, admin: bool) -> tuple[str, Session]:
        """A new session's cookie token (shown once) and the session."""
        token = secrets.token_urlsafe(32)
        session = Session(key.id, key.team, key.name or key.id, secrets.token_urlsafe(24), admin)
        await self._redis.set(self.key(token), json.dumps(asdict(session)), ex=self.ttl_seconds)
        return token, session

    async def get(self, token: str | None) -> Session | None:
        """The live session of this token, renewed; None when unknown or expired."""
        if not token or len(token) > 100:
            return None
        raw = await self._redis.getex(self.key(token), ex=self.ttl_seconds)
        return Session(**json.loads(raw)) if raw else None

    async def end(self, token: str | None) -> None:
        if token:
            await self._redis.delete(self.key(token))
