"""`newswatch <service>` as its own process, its log in a file, for outage tests.

The log is what an operator reads, so the tests look at it: a state-change line is the
positive signal that the service noticed an outage, and the number of lines written
during the outage is how loud it was.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = 20.0
# Lines a service may write during a 20 s outage: a few state changes, one line per kind of
# library complaint. Before the repeat filter it was 1,700 for a Kafka outage and 3,400
# (tracebacks) for a Redis one.
MOST_LINES = 60


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self._proc: subprocess.Popen | None = None

    def start(self) -> "ServiceProcess":
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "newswatch.cli", self.name],
            env=self._env,
            cwd=ROOT,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        return self

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines() if self.log.exists() else []

    def logged(self, text: str, since: int = 0) -> bool:
        return any(text in line for line in self.lines()[since:])

    def alive(self) -> bool:
        assert self._proc is not None and self._proc.poll() is None, (
            f"{self.name} exited with {self._proc and self._proc.returncode}\n{self.tail()}"
        )
        return True

    def tail(self, chars: int = 4000) -> str:
        return f"--- {self.name} log (end)\n" + "\n".join(self.lines())[-chars:]

    def terminate(self, within: float) -> int | None:
        """SIGTERM, then the exit code once it exits, or None if it still runs ``within``
        seconds later (left running: ``stop`` kills it)."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)
        try:
            return self._proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


async def outage(
    service: ServiceProcess, take_down: Callable[[], None], noticed: str, within: float = 15.0
) -> list[str]:
    """Take a server down for OUTAGE_SECONDS under a running service; return the lines the
    service wrote meanwhile. Fails unless it logged ``noticed`` (so the outage was felt)."""
    mark = len(service.lines())
    await asyncio.to_thread(take_down)
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not service.logged(noticed, mark):
        assert loop.time() - started < within, f"no {noticed!r} in the log\n{service.tail()}"
        await asyncio.sleep(0.2)
    # Not a wait for something to happen: the outage lasts this long on purpose.
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (loop.time() - started)))
    service.alive()
    return service.lines()[mark:]
