"""`/healthz`, `/readyz` and `/metrics` of a service, on ``NEWSWATCH_HEALTH_PORT`` (0: off).

* ``/healthz`` answers 200 while the event loop answers: the process is alive.
* ``/readyz`` answers 200 when every readiness check passes, else 503 with one line per
  problem. A check is either a plain function (``None``: fine, else why not) or a *probe*:
  an async step run every few seconds (ping Redis, read the consumer's lag) whose last
  success must be recent. Probes also refresh the gauges that need I/O (queue depth, lag),
  so a scrape never waits for Redis or Kafka.
* ``/metrics`` is the process's Prometheus registry in the text format.

Kubernetes probes and compose health checks call these (``deploy/kubernetes``,
``deploy/docker/probe.py``); Prometheus scrapes ``/metrics``.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric

from newswatch.shared.outage import describe

log = logging.getLogger("newswatch.health")

Check = Callable[[], str | None]  # None: ready; otherwise why not


class Probe:
    """An async step run every ``every`` seconds; ready while its last success is recent."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[None]],
        every: float,
        fresh_for: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._step = step
        self.every = every
        self.fresh_for = fresh_for
        self._clock = clock
        self.last_ok: float | None = None
        self.error = "not checked yet"

    def problem(self) -> str | None:
        if self.last_ok is None:
            return f"{self.name}: {self.error}"
        age = self._clock() - self.last_ok
        if age > self.fresh_for:
            return f"{self.name}: last good {age:.0f} s ago ({self.error})"
        return None

    async def once(self) -> None:
        try:
            # A probe hung on a dead connection must not look like an old success forever.
            async with asyncio.timeout(max(self.every, 1.0)):
                await self._step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = describe(exc) if str(exc) else type(exc).__name__
            log.debug("health probe %s failed", self.name, exc_info=True)
            return
        self.last_ok, self.error = self._clock(), "ok"

    async def run(self) -> None:
        while True:
            await self.once()
            await asyncio.sleep(self.every)


class Health:
    """A service's readiness checks and probes; ``serve`` exposes them over HTTP."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._checks: dict[str, Check] = {}
        self.probes: list[Probe] = []

    def check(self, name: str, check: Check) -> None:
        self._checks[name] = check

    def probe(
        self,
        name: str,
        step: Callable[[], Awaitable[None]],
        every: float = 3.0,
        fresh_for: float = 10.0,
    ) -> Probe:
        probe = Probe(name, step, every, fresh_for)
        self.probes.append(probe)
        return probe

    def problems(self) -> list[str]:
        found = [p for probe in self.probes if (p := probe.problem())]
        for name, check in self._checks.items():
            try:
                problem = check()
            except Exception as exc:  # a broken check says so rather than 500
                problem = f"check failed: {type(exc).__name__}: {exc}"
            if problem:
                found.append(f"{name}: {problem}")
        return found

    def app(self) -> web.Application:
        async def healthz(_request: web.Request) -> web.Response:
            return web.Response(text=f"{self.service} alive\n")

        async def readyz(_request: web.Request) -> web.Response:
            problems = self.problems()
            if problems:
                return web.Response(status=503, text="\n".join(problems) + "\n")
            return web.Response(text=f"{self.service} ready\n")

        async def metrics(_request: web.Request) -> web.Response:
            return web.Response(
                body=exposition(self.service), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

        app = web.Application()
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/readyz", readyz)
        app.router.add_get("/metrics", metrics)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, port: int, host: str = "0.0.0.0") -> AsyncIterator[None]:
        """Run the probes, and the HTTP server when ``port`` is not 0, for the block's time."""
        tasks = [asyncio.create_task(p.run(), name=f"probe-{p.name}") for p in self.probes]
        runner: web.AppRunner | None = None
        try:
            if port:
                runner = await self._start(host, port)
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if runner is not None:
                await runner.cleanup()

    async def _start(self, host: str, port: int) -> web.AppRunner | None:
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            # The service still does its work; its probes fail, which is what an operator
            # (or Kubernetes) must see. Another process on the port is a configuration error.
            log.error("%s: cannot serve health and metrics on port %d: %s", self.service, port, exc)
            await runner.cleanup()
            return None
        log.info("%s: /healthz, /readyz and /metrics on port %d", self.service, port)
        return runner


class _Own:
    """The registry without other services' newswatch metrics: `newswatch api` imports the
    alerter's modules, whose gauges would show there as zeros beside the real ones."""

    def __init__(self, service: str) -> None:
        self._own = f"newswatch_{service}_"

    def collect(self) -> Iterator[Metric]:
        for family in REGISTRY.collect():
            if family.name.startswith(self._own) or not family.name.startswith("newswatch_"):
                yield family


def exposition(service: str) -> bytes:
    """``/metrics`` of ``service``: its own metrics, and the process's and Python's."""
    return generate_latest(_Own(service))
