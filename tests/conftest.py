"""Where the tests find real servers.

Kafka and Redis come, in this order, from ``KAFKA_BOOTSTRAP_SERVERS`` / ``REDIS_URL``;
from testcontainers when a Docker engine answers; or from local processes started
through ``deploy/local/`` on test ports. With ``CI=true`` a test that cannot get
a server fails; elsewhere it is skipped with the reason.
"""

import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from tests.servers import PrivateKafka, PrivateRedis, PrivateServer, ServerFailed

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_RUN_DIR = ROOT / ".run" / "test"
S = TypeVar("S", bound=PrivateServer)
LOCAL_PORTS = {"KAFKA_PORT": "29092", "KAFKA_CONTROLLER_PORT": "29093", "REDIS_PORT": "26379"}


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: tests that need a server must not skip)")
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A file under ../shared/, or a skip saying it is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing; CI must have ../shared/")
        pytest.skip(f"{path} is absent: ../shared/ is not beside this clone")
    return path


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _docker_engine() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _local(script: str, action: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **LOCAL_PORTS, "NEWSWATCH_RUN_DIR": str(TEST_RUN_DIR)}
    return subprocess.run(
        [str(ROOT / "deploy/local" / script), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def _server(
    name: str,
    env_var: str,
    probe: Callable[[str], str | None],
    container: Callable[[], AbstractContextManager[str]],
    script: str,
    local_address: str,
) -> Iterator[str]:
    """A server's address, found in the order the module docstring gives."""
    given = os.environ.get(env_var)
    if given:
        problem = probe(given)
        if problem:
            unavailable(f"{env_var}={given} is not reachable: {problem}")
        yield given
        return
    if _docker_engine():
        with container() as address:
            yield address
        return
    started = _local(script, "start")
    if started.returncode != 0:
        unavailable(f"could not start a local {name}: {started.stderr[-2000:]}")
    try:
        yield local_address
    finally:
        _local(script, "stop")


def _probe_kafka(bootstrap: str) -> str | None:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    return None if _reachable(host, int(port)) else "no answer on its port"


def _probe_redis(url: str) -> str | None:
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return str(exc)
    return None


@contextmanager
def _kafka_container() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


@contextmanager
def _redis_container() -> Iterator[str]:
    from testcontainers.community.redis import RedisContainer

    with RedisContainer("redis:7") as redis:
        yield f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    local = f"127.0.0.1:{LOCAL_PORTS['KAFKA_PORT']}"
    with _server(
        "Kafka", "KAFKA_BOOTSTRAP_SERVERS", _probe_kafka, _kafka_container, "kafka.sh", local
    ) as address:
        yield address


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    local = f"redis://127.0.0.1:{LOCAL_PORTS['REDIS_PORT']}/0"
    with _server(
        "Redis", "REDIS_URL", _probe_redis, _redis_container, "redis.sh", local
    ) as address:
        yield address


@pytest.fixture
def prefix() -> str:
    """A topic and Redis-key prefix of this test's own, so tests never see each other's data."""
    return f"nwtest-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def server_env(kafka_bootstrap: str, redis_url: str, prefix: str) -> dict[str, str]:
    """Environment for settings classes and service processes under test."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "REDIS_URL": redis_url,
        "NEWSWATCH_TOPIC_PREFIX": prefix,
        "NEWSWATCH_TOPIC_PARTITIONS": "2",
    }


@pytest.fixture
def env_settings(server_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in server_env.items():
        monkeypatch.setenv(key, value)
    return server_env


def _private(server: S) -> Iterator[S]:
    try:
        server.start()
    except ServerFailed as exc:
        server.cleanup()
        unavailable(f"could not start a private {server.name}: {exc}")
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of this test's own, to stop, kill -9 and restart (see tests/servers.py)."""
    yield from _private(PrivateRedis())


@pytest.fixture(scope="module")
def private_kafka() -> Iterator[PrivateKafka]:
    """A Kafka broker of this module's own, to stop, kill -9 and restart (see tests/servers.py)."""
    yield from _private(PrivateKafka())


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A command run in a test (``newswatch ...`` through ``main``) configures logging for a
    whole process: handlers, levels and a filter that drops repeated lines. Undo it after
    each test, so one test's logging cannot hide another's log lines."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {h: list(h.filters) for h in handlers}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, kept in filters.items():
        handler.filters[:] = kept
    root.setLevel(level)
