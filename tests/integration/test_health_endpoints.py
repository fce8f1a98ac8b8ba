"""/readyz follows the service's dependencies while /healthz stays up: the fetcher against a
Redis of the test's own, which is killed and started again."""

import asyncio

import httpx
import pytest

from tests.integration.service_process import ServiceProcess
from tests.servers import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


async def _answer(port: int, path: str) -> tuple[int, str]:
    async with httpx.AsyncClient(timeout=3) as http:
        try:
            answer = await http.get(f"http://127.0.0.1:{port}{path}")
        except httpx.TransportError as exc:
            return 0, str(exc)
    return answer.status_code, answer.text


async def _until_status(service: ServiceProcess, port: int, status: int, within: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        service.alive()
        got, text = await _answer(port, "/readyz")
        if got == status:
            return text
        assert loop.time() < deadline, f"/readyz still {got} {text!r}\n{service.tail()}"
        await asyncio.sleep(0.5)


async def test_readyz_goes_down_with_redis_and_back_while_healthz_stays_up(
    server_env, private_redis, tmp_path
):
    port = free_port()
    env = {
        **server_env,
        "REDIS_URL": private_redis.url,
        "NEWSWATCH_HEALTH_PORT": str(port),
        "NEWSWATCH_FETCHER_FEEDS_FILE": "/nonexistent",
    }
    service = ServiceProcess("fetcher", env, tmp_path / "fetcher.log").start()
    try:
        assert (await _until_status(service, port, 200, within=60)).startswith("fetcher ready")
        await asyncio.to_thread(private_redis.kill9)
        # The ping fails at once; its last success is too old after 10 s, the limit.
        reasons = await _until_status(service, port, 503, within=30)
        assert "redis" in reasons, reasons
        assert (await _answer(port, "/healthz"))[0] == 200  # alive: no restart wanted
        await asyncio.to_thread(private_redis.start)
        await _until_status(service, port, 200, within=30)
    finally:
        service.stop()
