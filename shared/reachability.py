"""Servers a command cannot reach, said in one line: what, where, why, and what to try.

`newswatch` commands talk to Redis and Kafka. When one is down, a traceback of the client
library's internals tells a newcomer nothing; `describe_unreachable` turns the project's
connection errors into one line, and `wait_for_kafka` waits a bounded time for a broker
that is still starting, saying once what it waits for.
"""

import asyncio
import os
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from newswatch.shared.errors import NewswatchError
from newswatch.shared.kafka import KafkaRefused, kafka_client_kwargs, kafka_refusal
from newswatch.shared.settings import CommonSettings

HINT = "is it running? (make up)"


class ServerUnreachable(NewswatchError):
    """A server a command needs did not answer."""

    def __init__(self, server: str, address: str, reason: str) -> None:
        super().__init__(f"cannot reach {server} at {address}: {reason}; {HINT}")
        self.server = server
        self.address = address


def without_password(url: str) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``: messages get no secret."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def reason_of(exc: BaseException) -> str:
    """The operating system's words when a socket error is behind ``exc`` ("Connection
    refused"), else the exception's own message."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return os.strerror(seen.errno)  # asyncio's own strerror is "Connect call failed"
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


def describe_unreachable(exc: BaseException, settings: CommonSettings) -> str | None:
    """One line for a connection failure to Redis or Kafka; None for any other error."""
    if isinstance(exc, (ServerUnreachable, KafkaRefused)):
        return str(exc)
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        where = without_password(settings.redis_url)
        return str(ServerUnreachable("Redis", where, reason_of(exc)))
    if isinstance(exc, KafkaConnectionError):
        return str(ServerUnreachable("Kafka", settings.kafka_bootstrap_servers, reason_of(exc)))
    return None


async def wait_for_kafka(
    settings: CommonSettings, seconds: float, say: Callable[[str], None]
) -> None:
    """Return once a broker answers; say once that we wait, and raise ServerUnreachable
    after ``seconds`` (KafkaRefused at once when a broker refuses our credentials)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    servers = settings.kafka_bootstrap_servers
    waited = False
    while True:
        problem = await _kafka_problem(settings)
        if problem is None:
            if waited:
                say(f"Kafka at {servers} answers")
            return
        refusal = await kafka_refusal(settings)
        if refusal:
            raise KafkaRefused(refusal)
        if loop.time() >= deadline:
            raise ServerUnreachable("Kafka", servers, f"{problem} (waited {seconds:g} s)")
        if not waited:
            say(f"waiting for Kafka at {servers} (up to {seconds:g} s; --wait to change)...")
            waited = True
        await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))


async def _kafka_problem(settings: CommonSettings) -> str | None:
    """None when one bootstrap server completes Kafka's handshake, else why the last failed."""
    kwargs = kafka_client_kwargs(settings)
    problem = "no bootstrap servers"
    for server in kwargs.pop("bootstrap_servers").split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await create_conn(host, int(port), request_timeout_ms=5_000, **kwargs)
        except (KafkaConnectionError, OSError) as exc:
            problem = reason_of(exc)
            continue
        conn.close()
        return None
    return problem
