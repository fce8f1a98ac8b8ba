"""Redis over TLS, as on a managed Redis service: ``rediss://`` in ``REDIS_URL`` is all it takes.

A private redis-server (never the shared one) listens on a TLS port only, with a certificate
from the test's own CA and a password. newswatch's own client (``create_redis``) and stores
work through it when the URL names the CA; a client that trusts another CA, and a client that
speaks plain Redis to the TLS port, are refused.
"""

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis.exceptions

from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.contracts import ChannelTarget, Subscription
from newswatch.shared.redis import create_redis
from newswatch.shared.settings import CommonSettings
from tests.conftest import unavailable
from tests.servers import free_port
from tests.tls_ca import LocalCA

pytestmark = [pytest.mark.redis]
PASSWORD = "tls-test-pw-4b1e"


class TlsRedis:
    def __init__(self, folder: Path, ca: LocalCA) -> None:
        cert = ca.issue("redis")
        self.port = free_port()
        self.log = folder / "redis.log"
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", "0", "--tls-port", str(self.port),
                "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no",
                "--tls-cert-file", str(cert.cert), "--tls-key-file", str(cert.key),
                "--tls-ca-cert-file", str(ca.cert), "--tls-auth-clients", "no",
                "--requirepass", PASSWORD, "--logfile", str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while "Ready to accept connections" not in self._log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server with TLS did not start: {self._log()[-2000:]}")
            time.sleep(0.05)

    def _log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def url(self, ca: Path | None) -> str:
        """``rediss://`` trusting ``ca``; plain ``redis://`` when None."""
        if ca is None:
            return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"
        return f"rediss://:{PASSWORD}@127.0.0.1:{self.port}/0?ssl_ca_certs={quote(str(ca))}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("redis-ca"))


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory, ca: LocalCA) -> Iterator[TlsRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed (deploy/local/redis.sh install)")
    server = TlsRedis(tmp_path_factory.mktemp("redis-tls"), ca)
    yield server
    server.stop()


def settings(url: str) -> CommonSettings:
    return CommonSettings(redis_url=url, topic_prefix="tls")


async def test_newswatch_stores_work_over_verified_tls(tls_redis: TlsRedis, ca: LocalCA) -> None:
    redis = create_redis(settings(tls_redis.url(ca.cert)))
    try:
        keys = ApiKeyStore(redis, "tls")
        created, secret = await keys.create("ops", "over tls")
        assert (await keys.authenticate(secret)) == created
        subscriptions = SubscriptionStore(redis, "tls")
        sub = Subscription(
            id="desk",
            team="ops",
            tags=["strike"],
            channels=[ChannelTarget(kind="email", target="ops@example.org")],
        )
        await subscriptions.save(sub)
        stored = await subscriptions.get("ops", "desk")
        assert stored is not None and stored.tags == ["strike"]
        info = await redis.info("server")
        assert info["tcp_port"] == tls_redis.port, "the server's only port is its TLS one"
    finally:
        await redis.aclose()


async def test_a_server_certificate_from_another_ca_is_refused(
    tls_redis: TlsRedis, tmp_path: Path
) -> None:
    other = LocalCA.create(tmp_path / "other", name="another CA")
    redis = create_redis(settings(tls_redis.url(other.cert)))
    try:
        with pytest.raises(redis_errors(), match="certificate verify failed"):
            await redis.ping()
    finally:
        await redis.aclose()


async def test_plain_redis_to_the_tls_port_is_refused(tls_redis: TlsRedis) -> None:
    redis = create_redis(settings(tls_redis.url(None)))
    try:
        with pytest.raises(redis_errors()):
            await redis.ping()
    finally:
        await redis.aclose()


def redis_errors() -> tuple[type[Exception], ...]:
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
