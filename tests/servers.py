"""Disposable Redis and Kafka servers of a test's own, for fault injection.

The shared servers (``REDIS_URL``, ``KAFKA_BOOTSTRAP_SERVERS``) are used by every
test at once, so a test that stops, kills or restarts a server must have one of
its own. These start one through ``deploy/local/redis.sh`` / ``kafka.sh`` on free
loopback ports with a run directory under ``.run/test-private/<uuid>``, and
always stop it and remove the directory afterwards::

    with PrivateRedis.started() as redis:
        redis.kill9()      # as if the machine lost the process
        redis.start()      # same port, same data directory (append-only file)

In ``tests/conftest.py`` they are the fixtures ``private_redis`` (one per test)
and ``private_kafka`` (one per module: a broker takes seconds to start).
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
PRIVATE_RUN_DIR = ROOT / ".run" / "test-private"


class ServerFailed(RuntimeError):
    """A private server would not start or stop; the message carries the script's output."""


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel picks it, so parallel tests differ)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateServer:
    """One server run by a ``deploy/local`` script with its own ports and run directory."""

    script: str  # deploy/local/<script>
    name: str  # its folder under the run directory, where the script keeps the pid file
    port_variables: tuple[str, ...]  # the script's port settings; the first is the client port
    start_timeout: float = 120

    def __init__(self) -> None:
        self.run_dir = PRIVATE_RUN_DIR / uuid.uuid4().hex
        self.ports = {variable: str(free_port()) for variable in self.port_variables}

    @property
    def pid_file(self) -> Path:
        return self.run_dir / self.name / f"{self.name}.pid"

    @property
    def port(self) -> int:
        return int(self.ports[self.port_variables[0]])

    def _run(self, action: str) -> None:
        env = {
            **os.environ,
            **self.ports,
            "NEWSWATCH_RUN_DIR": str(self.run_dir),
            **self._extra_env(),
        }
        done = subprocess.run(
            [str(ROOT / "deploy" / "local" / self.script), action],
            env=env,
            capture_output=True,
            text=True,
            timeout=self.start_timeout + 30,
        )
        if done.returncode != 0:
            raise ServerFailed(f"{self.script} {action} failed: {done.stderr[-2000:]}")

    def _extra_env(self) -> dict[str, str]:
        return {}

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        """Start it (again) on the same port with the same data; returns once it serves."""
        self._run("start")

    def stop(self) -> None:
        """A clean shutdown, as an operator would do it."""
        self._run("stop")

    def kill9(self) -> None:
        """SIGKILL: no shutdown hook runs, like a crash or the OOM killer. Returns once the port is closed."""
        pid = self.pid()
        if pid is None:
            raise ServerFailed(f"{self.name} has no pid file; is it running?")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pid) or _listening(self.port):
            if time.monotonic() > deadline:
                raise ServerFailed(f"{self.name} pid {pid} still alive 10 s after SIGKILL")
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop whatever still runs (even after a failed start) and delete the run directory."""
        try:
            self.stop()
        except (ServerFailed, subprocess.TimeoutExpired):
            pid = self.pid()
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[Self]:
        server = cls()
        try:
            server.start()
            yield server
        finally:
            server.cleanup()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed daemon stays a zombie until its parent reaps it; redis-server daemonizes
    # (parent is init) and kafka.sh's setsid child is reaped by init too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


class PrivateRedis(PrivateServer):
    """Append-only persistence (fsync every second), as in production: see ``redis.sh``."""

    script = "redis.sh"
    name = "redis"
    port_variables = ("REDIS_PORT",)
    start_timeout = 30

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class PrivateKafka(PrivateServer):
    """A single-node KRaft broker; its log directory survives ``stop``/``kill9``/``start``."""

    script = "kafka.sh"
    name = "kafka"
    port_variables = ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT")
    start_timeout = 120

    def _extra_env(self) -> dict[str, str]:
        # A small heap: up to eight test runs share the machine.
        return {
            "KAFKA_HEAP": os.environ.get("NEWSWATCH_PRIVATE_KAFKA_HEAP", "384m"),
            "KAFKA_EXTRA_PROPERTIES": self.extra_properties(),
            "KAFKA_FORMAT_ARGS": " ".join(self.format_args()),
        }

    def extra_properties(self) -> str:
        """Lines appended to server.properties (a later key wins: listeners, security)."""
        return ""

    def format_args(self) -> list[str]:
        """Extra arguments to the first storage format (e.g. ``--add-scram`` users)."""
        return []

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"
