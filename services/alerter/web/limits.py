"""What the API refuses before doing any work: oversized bodies and key guessing.

Body size: checked against ``Content-Length`` and, for bodies sent without one
(chunked), while the body is read; either way the client gets 413, not whatever
the framework would say about a body cut short.

Failed keys: every wrong or revoked key counts against the client's address and
against the key id it names (``nwk_<id>_...``). Past the limit the address (or
key id) is locked out, 429 with ``Retry-After``, until the lockout expires. The
counters live in Redis, not in the process: several API processes (or a
restarted one) then share one count, so an attacker gains nothing by spreading
guesses over them; the API needs Redis for every answer anyway. The key-id lockout
also holds off the key's rightful holder for that time; that is the price of
stopping a guesser who spreads over many addresses (a key's secret is 256 bits, so
the lockout is about load and noise, not about the odds).
"""

from contextlib import suppress
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newswatch.alerter.keys import key_id
from newswatch.alerter.web.errors import ErrorDetail, error_response


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, declared.isdigit())
            return
        received = 0
        over = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    # Abort the read: the app must never act on a truncated body.
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app says about a truncated body, the answer is 413
                return
            started = True
            await send(message)

        # If the framework lets the abort through rather than answering it, it is answered
        # below all the same.
        with suppress(_BodyTooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if over and not started:
            await self._refuse(scope, receive, send, True)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, too_large: bool) -> None:
        if too_large:
            msg = f"the request body is larger than {self.max_bytes} bytes"
            response = error_response(413, [ErrorDetail(msg=msg, type="body_too_large")])
        else:
            detail = ErrorDetail(
                loc=["header", "Content-Length"], msg="not a number", type="bad_request"
            )
            response = error_response(400, [detail])
        await response(scope, receive, send)


@dataclass(frozen=True, slots=True)
class Lockout:
    who: str  # 'address' or 'key id'
    retry_after: int  # seconds


class AuthThrottle:
    """Failed-key counters in Redis; ``limit`` 0 turns the lockout off."""

    def __init__(self, redis: Redis, prefix: str, limit: int, lockout_seconds: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:api:auth_failures"
        self.limit = limit
        self.lockout_seconds = lockout_seconds

    def _keys(self, address: str, key: str | None) -> list[tuple[str, str]]:
        found = [("address", f"{self._prefix}:address:{address}")]
        kid = key_id(key) if key else None  # guesses of other shapes count per address only
        if kid:
            found.append(("key id", f"{self._prefix}:key:{kid}"))
        return found

    async def lockout(self, address: str, key: str | None) -> Lockout | None:
        """Whether this address or key id is locked out now, and for how long."""
        if not self.limit:
            return None
        keys = self._keys(address, key)
        async with self._redis.pipeline(transaction=False) as pipe:
            for _, name in keys:
                pipe.get(name).ttl(name)
            values = await pipe.execute()
        for (who, _), count, ttl in zip(keys, values[::2], values[1::2], strict=True):
            if count is not None and int(count) >= self.limit:
                return Lockout(who, max(1, int(ttl)))
        return None

    async def failed(self, address: str, key: str) -> None:
        """Count a wrong key; the count that reaches the limit starts a full lockout."""
        if not self.limit:
            return
        keys = self._keys(address, key)
        async with self._redis.pipeline(transaction=True) as pipe:
            for _, name in keys:
                pipe.incr(name).expire(name, self.lockout_seconds, nx=True)
            values = await pipe.execute()
        reached = [
            name for (_, name), count in zip(keys, values[::2], strict=True) if count >= self.limit
        ]
        if reached:
            async with self._redis.pipeline(transaction=True) as pipe:
                for name in reached:
                    pipe.expire(name, self.lockout_seconds)
                await pipe.execute()
