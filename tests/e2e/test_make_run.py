"""`make run` as a newcomer runs it (issue 12, item 6): on a demo port of their choosing, its
output piped through `tee`, stopped with Ctrl-C after tee is gone.

The script runs with Kafka and Redis of its own (its own run directory and ports), never the
shared servers: it stops what it started.
"""

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
UP = "newswatch is up"
NOT_UP = "NOT UP"
# The demo receivers' line for an alert every channel delivered (services/demo/receipts.py).
RECEIPT_LINE = re.compile(r"^✓ received by slack, email, webhook: \[", re.M)

pytestmark = pytest.mark.e2e


@dataclass
class RunningDemo:
    script: subprocess.Popen[bytes]
    tee: subprocess.Popen[bytes]
    log: Path
    run_dir: Path
    demo_port: int

    def pid(self, server: str) -> int:
        return int((self.run_dir / server / f"{server}.pid").read_text().strip())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it holds no port and no data.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][:1] != "Z"


def _env(run_dir: Path, demo_port: int) -> dict[str, str]:
    # Nothing of the test session's servers or prefixes: the script sets up its own.
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH_", "KAFKA_", "REDIS_"))
    }
    return {
        **inherited,
        "NEWSWATCH_RUN_DIR": str(run_dir),
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_HEAP": "512m",
        "REDIS_PORT": str(free_port()),
        "DEMO_HTTP_PORT": str(demo_port),
        "DEMO_SMTP_PORT": str(free_port()),
        "NEWSWATCH_ALERTER_API_PORT": str(free_port()),
        "NEWSWATCH_HEALTH_PORT": "0",  # several services on one host: no shared port to fight for
        "FIRST_ALERT_TIMEOUT": "100",
    }


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    folder = tmp_path_factory.mktemp("make-run")
    run_dir, log = folder / "run", folder / "run.log"
    demo_port = free_port()  # not the 18080 the demo feed list was written for
    script = subprocess.Popen(
        [str(ROOT / "deploy" / "local" / "run.sh")],
        cwd=ROOT,
        env=_env(run_dir, demo_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C would reach
        # As from a terminal: SIGINT not ignored, even where the test runner was started in
        # the background (nohup, `cmd &`), whose children inherit it ignored and whose shell
        # could then neither trap Ctrl-C nor pass it on.
        preexec_fn=_default_sigint,
    )
    assert script.stdout is not None
    tee = subprocess.Popen(["tee", str(log)], stdin=script.stdout, stdout=subprocess.DEVNULL)
    script.stdout.close()  # tee is the pipe's only reader: when it dies, writes hit EPIPE
    running = RunningDemo(script, tee, log, run_dir, demo_port)
    try:
        yield running
    finally:
        # Whatever happened, leave nothing running: the script's group, then its servers.
        if tee.poll() is None:
            tee.kill()
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
        tee.wait(timeout=30)
        script.wait(timeout=30)
        for server in ("kafka", "redis"):
            pid_file = run_dir / server / f"{server}.pid"
            if pid_file.exists() and _alive(pid := int(pid_file.read_text().strip())):
                os.kill(pid, signal.SIGKILL)


def _wait_for_verdict(demo: RunningDemo, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = demo.log.read_text("utf-8", "replace") if demo.log.exists() else ""
        if UP in text or NOT_UP in text or demo.script.poll() is not None:
            return text
        time.sleep(0.5)
    return demo.log.read_text("utf-8", "replace")


def test_on_another_demo_port_it_says_up_only_after_the_first_alert_came_through(demo):
    text = _wait_for_verdict(demo, timeout=200)
    assert UP in text, f"never said it was up:\n{text[-3000:]}"
    before_up = text[: text.index(UP)]
    assert RECEIPT_LINE.search(before_up), f"said up before any alert arrived:\n{before_up[-3000:]}"
    feeds = (demo.run_dir / "demo-feeds.yaml").read_text()
    assert f"127.0.0.1:{demo.demo_port}/feed.xml" in feeds and "18080" not in feeds


def test_ctrl_c_after_tee_is_gone_still_stops_kafka_and_redis(demo):
    _wait_for_verdict(demo, timeout=200)
    kafka, redis = demo.pid("kafka"), demo.pid("redis")
    assert _alive(kafka) and _alive(redis)
    demo.tee.kill()  # the reader of `make run 2>&1 | tee run.log` goes first...
    demo.tee.wait(timeout=10)
    os.killpg(demo.script.pid, signal.SIGINT)  # ...then Ctrl-C reaches the script's group
    assert demo.script.wait(timeout=90) == 0
    deadline = time.monotonic() + 10
    while (_alive(kafka) or _alive(redis)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(kafka), "Kafka was left running"
    assert not _alive(redis), "Redis was left running"
    stopped = (demo.run_dir / "logs" / "run.log").read_text()
    assert "stopped. Logs:" in stopped
    # The services stop on the same Ctrl-C; that is the way out, not a crash to report.
    assert "a newswatch process exited" not in stopped


def test_ctrl_c_during_start_up_stops_what_was_started_at_once(tmp_path):
    """Before any service runs there is nothing to wait for: the script must not wait out
    its 20 s deadline for services (and then say it killed them)."""
    run_dir, log = tmp_path / "run", tmp_path / "run.log"
    with log.open("wb") as out:
        script = subprocess.Popen(
            [str(ROOT / "deploy" / "local" / "run.sh")],
            cwd=ROOT,
            env=_env(run_dir, free_port()),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )
        try:
            deadline = time.monotonic() + 120
            while "redis: running" not in log.read_text("utf-8", "replace"):
                assert script.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            kafka, redis = (int((run_dir / s / f"{s}.pid").read_text()) for s in ("kafka", "redis"))
            os.killpg(script.pid, signal.SIGINT)  # Kafka and Redis up, the services not yet
            assert script.wait(timeout=90) == 0
        finally:
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGKILL)
                script.wait(timeout=30)
    stopped = (run_dir / "logs" / "run.log").read_text()
    assert "stopped. Logs:" in stopped and "did not stop" not in stopped, stopped
    deadline = time.monotonic() + 10
    while (_alive(kafka) or _alive(redis)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(kafka) and not _alive(redis)
