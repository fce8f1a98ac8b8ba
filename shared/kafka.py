"""Thin aiokafka helpers: the producer every stage uses, topic creation, and the security
settings (TLS, SASL) every client is built with."""

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed, TopicAlreadyExistsError

from newswatch.shared.settings import CommonSettings

log = logging.getLogger(__name__)


def kafka_ssl_context(settings: CommonSettings) -> ssl.SSLContext | None:
    """The TLS context of the SSL and SASL_SSL protocols: the brokers' certificates are always
    verified (against the CA file, else the system's CAs), host names unless turned off."""
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile and settings.kafka_ssl_keyfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    return context


def kafka_client_kwargs(settings: CommonSettings) -> dict[str, Any]:
    """Connection and security arguments for any aiokafka client (producer, consumer, admin)."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "ssl_context": kafka_ssl_context(settings),
    }
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=password.get_secret_value() if password else None,
        )
    return kwargs


def metadata_max_age_ms(settings: CommonSettings) -> int:
    """How often a client refreshes the brokers' metadata: when it sees a topic's new
    partitions (a consumer group then rebalances onto them)."""
    return round(settings.kafka_metadata_max_age_seconds * 1000)


def faust_credentials(settings: CommonSettings) -> Any:
    """The same settings as faust's ``broker_credentials`` (None: plaintext)."""
    from faust.auth import SASLCredentials, SSLCredentials  # only the classifier runs faust

    kwargs = kafka_client_kwargs(settings)
    if "sasl_mechanism" in kwargs:
        credentials = SASLCredentials(
            username=kwargs["sasl_plain_username"],
            password=kwargs["sasl_plain_password"],
            ssl_context=kwargs["ssl_context"],
            mechanism=kwargs["sasl_mechanism"],
        )
        # faust infers SASL_SSL from a context; say so explicitly for SASL_PLAINTEXT too.
        credentials.protocol = type(credentials.protocol)(settings.kafka_security_protocol)
        return credentials
    if kwargs["ssl_context"] is not None:
        return SSLCredentials(kwargs["ssl_context"])
    return None


def create_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    # Idempotent so a retried send never duplicates a record; a small linger lets
    # gathered sends share a batch without delaying a lone alert noticeably.
    return AIOKafkaProducer(
        **kafka_client_kwargs(settings),
        metadata_max_age_ms=metadata_max_age_ms(settings),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=65536,
        compression_type=None,
    )


class KafkaRefused(KafkaConnectionError):  # type: ignore[misc]  # aiokafka is untyped
    """The broker answered but refused us (credentials, certificate): retrying cannot help."""


async def kafka_refusal(settings: CommonSettings) -> str | None:
    """Why the first reachable broker refuses these settings (wrong password, untrusted
    certificate), or None when it accepts them or cannot be reached (a transient state).
    aiokafka's start() says only "Unable to bootstrap"; this says what to fix."""
    kwargs = kafka_client_kwargs(settings)
    servers = kwargs.pop("bootstrap_servers")
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await create_conn(host, int(port), request_timeout_ms=10_000, **kwargs)
        except SaslAuthenticationFailed as exc:
            return f"{server} refused the SASL credentials: {exc}"
        except ssl.SSLError as exc:
            return f"TLS with {server} failed (NEWSWATCH_KAFKA_SSL_*): {exc}"
        except (KafkaConnectionError, OSError) as exc:
            if isinstance(exc.__cause__, ssl.SSLError):
                return f"TLS with {server} failed (NEWSWATCH_KAFKA_SSL_*): {exc.__cause__}"
            continue
        conn.close()
        return None
    return None


async def start_with_retry(
    client: object, what: str, deadline_s: float = 60.0, settings: CommonSettings | None = None
) -> None:
    """Start an aiokafka client, waiting for a broker that is still booting. With the
    client's ``settings``, a broker that refuses them fails at once with the reason."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline_s
    while True:
        try:
            await client.start()  # type: ignore[attr-defined]
            return
        except KafkaConnectionError as exc:
            reason = await kafka_refusal(settings) if settings else None
            if reason:
                raise KafkaRefused(f"{what}: {reason}") from exc
            if loop.time() >= give_up:
                raise
            log.warning("%s: Kafka not reachable yet (%s); retrying", what, exc)
            await asyncio.sleep(1.0)


TOPICS_READY_SECONDS = 30.0  # how long ensure_topics waits for new topics to be served


async def ensure_topics(
    settings: CommonSettings, names: Iterable[str], partitions: int | None = None
) -> list[str]:
    """Create the topics that do not exist yet; return the ones created. Returns once the
    broker serves every named topic (see ``_until_served``), also one another process has
    just created."""
    names = list(dict.fromkeys(names))
    admin = await _started_admin(settings)
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in names if n not in existing]
        if wanted:
            new = [
                NewTopic(
                    name,
                    num_partitions=partitions or settings.topic_partitions,
                    replication_factor=settings.topic_replication,
                )
                for name in wanted
            ]
            # Another service may win the race to create a topic; it exists, all we need.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        await _until_served(admin, names)
        return wanted
    finally:
        await admin.close()


async def _until_served(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Wait until the broker's metadata shows these topics, each partition with a leader
    (a topic's partitions reach the metadata together).

    Kafka answers CreateTopics before its metadata shows the topics (forty new topics were
    all still unknown right after it here). A consumer group formed in that window is
    assigned none of their partitions, and faust finds them only at its next metadata
    refresh, five minutes later: a worker started on a fresh broker sat idle that long.
    """
    if not names:  # an empty list would describe every topic
        return
    deadline = asyncio.get_running_loop().time() + TOPICS_READY_SECONDS
    while True:
        described = await admin.describe_topics(names)
        waiting = [t["topic"] for t in described if not _served(t)]
        if not waiting:
            return
        if asyncio.get_running_loop().time() > deadline:
            log.warning(
                "topics not yet served after %.0f s: %s; going on",
                TOPICS_READY_SECONDS,
                ", ".join(sorted(waiting)),
            )
            return
        await asyncio.sleep(0.1)


def _served(topic: dict[str, Any]) -> bool:
    partitions = topic["partitions"]
    return (
        not topic["error_code"] and bool(partitions) and all(p["leader"] >= 0 for p in partitions)
    )


def partitions_to_add(current: dict[str, int], wanted: int) -> dict[str, int]:
    """The topics to grow to ``wanted`` partitions: those with fewer. Never fewer than now:
    Kafka cannot take partitions away (their records would be lost)."""
    return {name: count for name, count in current.items() if count < wanted}


async def grow_partitions(
    settings: CommonSettings, names: Iterable[str], partitions: int
) -> dict[str, int]:
    """Give every named topic with fewer than ``partitions`` that many; return the grown
    topics' previous counts. A key's partition changes with the count, so records of one
    key written before and after may be read out of order once (see docs/operations)."""
    admin = await _started_admin(settings)
    try:
        described = await admin.describe_topics(list(dict.fromkeys(names)))
        current = {t["topic"]: len(t["partitions"]) for t in described if not t["error_code"]}
        grow = partitions_to_add(current, partitions)
        if grow:
            await admin.create_partitions({n: NewPartitions(total_count=partitions) for n in grow})
        return grow
    finally:
        await admin.close()


async def _started_admin(settings: CommonSettings) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings), client_id="newswatch-admin")
    await start_with_retry(admin, "admin", settings=settings)
    return admin
