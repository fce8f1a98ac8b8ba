"""One egress guard for every channel: each Apprise scheme that names a host passes the
address policy on save and on connect, and HTTP channels' sockets are checked too.

A real loopback listener counts the TCP connections it accepts. Each negative case
first shows the listener reachable when the policy allows it, and ends with a
fence connection of the test's own: the listener accepts in order, so once the
fence is counted, anything sent before it would have been counted too.
"""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import httpx
import pytest

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.api import create_app
from newswatch.alerter.channels.apprise import AppriseChannel
from newswatch.alerter.channels.base import DeliveryError
from newswatch.alerter.channels.http import Poster
from newswatch.alerter.egress import ConnectionForbidden, guarded
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.contracts import ChannelTarget, Subscription
from newswatch.shared.redis import create_redis
from tests.unit.test_channels import alert

pytestmark = [pytest.mark.redis]

# Apprise schemes whose URL names the host to connect to; {addr} is host[:port].
SCHEMES = [
    "ntfy://{addr}/topic",
    "gotify://{addr}/AbCdEfGhIjKlMnO",
    "rocket://user:pass@{addr}/#alerts",
    "mmost://{addr}/abcdefghijklmnopqrstuvwxyz",
    "ncloud://user:pass@{addr}/admin",
    "matrix://user:pass@{addr}/#alerts",
    "apprise://{addr}/token",
    "json://{addr}/hook",
    "xml://{addr}/hook",
    "form://{addr}/hook",
]
METADATA = "169.254.169.254"


class Listener:
    """An HTTP server that answers 200 to anything (or redirects) and counts connections."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None) -> None:
        self.peers: list[tuple[str, int]] = []  # client addresses, in accept order
        listener = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):  # one call per accepted connection, in accept order
                accepted = super().get_request()
                listener.peers.append(accepted[1][:2])
                return accepted

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                    body = b""
                else:
                    self.send_response(200)
                    body = b"{}"
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = Server((host, 0), Handler)
        self.host, self.port = self._server.server_address[:2]
        self.addr = f"{self.host}:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def fence(self) -> int:
        """Connect once ourselves, wait until the listener has accepted that connection, and
        return how many it accepted before it (all earlier ones, since it accepts in order)."""
        with socket.create_connection((self.host, self.port), timeout=5) as sock:
            me = sock.getsockname()[:2]
        deadline = time.monotonic() + 5
        while me not in self.peers:
            assert time.monotonic() < deadline, "the listener never accepted the fence"
            time.sleep(0.01)
        return self.peers.index(me)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def target(url: str) -> ChannelTarget:
    return ChannelTarget(kind="apprise", target=url)


async def _send(policy: AddressPolicy, url: str) -> DeliveryError | None:
    try:
        await AppriseChannel(policy).send(alert(), target(url))
    except DeliveryError as exc:
        return exc
    return None


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_every_scheme_is_refused_on_save_for_loopback_and_metadata(env_settings, scheme):
    redis = create_redis(AlerterSettings())
    try:
        _, key = await ApiKeyStore(redis, AlerterSettings().redis_prefix).create("ops")
        for allowed, status in [("127.0.0.0/8,169.254.0.0/16", 201), ("", 422)]:
            app = create_app(AlerterSettings(allowed_networks=allowed), redis=redis)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://api"
            ) as api:
                for n, address in enumerate(["127.0.0.1:9", METADATA]):
                    url = scheme.format(addr=address)
                    response = await api.post(
                        "/v1/subscriptions",
                        headers={"X-API-Key": key},
                        json={
                            "id": f"s{n}-{status}",
                            "tags": ["strike"],
                            "channels": [{"kind": "apprise", "target": url}],
                        },
                    )
                    assert response.status_code == status, (url, allowed, response.text)
                    if status == 422:
                        reason = response.json()["detail"][0]["msg"]
                        assert address.split(":")[0] in reason and "refused" in reason, reason
    finally:
        await redis.aclose()


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_a_smuggled_loopback_url_is_refused_at_send_and_nothing_connects(
    env_settings, listener, scheme
):
    url = scheme.format(addr=listener.addr)
    # Control: allowed, the plugin does reach the listener (so the count can move).
    await _send(AddressPolicy.from_setting("127.0.0.0/8"), url)
    before = listener.fence()
    assert before >= 1, f"{scheme} never reached the listener even when allowed"
    # Stored straight into Redis, past the API's check, then sent as the alerter sends.
    settings = AlerterSettings()
    redis = create_redis(settings)
    store = SubscriptionStore(redis, settings.redis_prefix)
    try:
        await store.save(
            Subscription(id="smuggled", team="ops", tags=["strike"], channels=[target(url)])
        )
        (stored,) = (await store.get("ops", "smuggled")).channels
    finally:
        await redis.aclose()
    error = await _send(AddressPolicy(), stored.target)
    assert error is not None and not error.retryable and "127.0.0.1" in str(error)
    assert listener.fence() == before + 1, "nothing but the first fence connected"


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_a_smuggled_metadata_url_is_refused_at_send_without_trying(scheme):
    started = time.monotonic()
    error = await _send(AddressPolicy(), scheme.format(addr=METADATA))
    assert error is not None and not error.retryable and METADATA in str(error)
    assert time.monotonic() - started < 5, "refused up front, not after a connect timeout"


async def test_a_redirect_to_a_refused_address_is_stopped_at_the_connection():
    """The saved host is allowed; where it redirects is not. Only the socket guard sees that."""
    inner = Listener(host="127.0.0.2")
    outer = Listener(redirect_to=f"http://{inner.addr}/hook")
    url = f"json://{outer.addr}/hook"
    try:
        await _send(AddressPolicy.from_setting("127.0.0.0/8"), url)
        before = inner.fence()
        assert before >= 1, "the redirect is followed when the policy allows its target"
        error = await _send(AddressPolicy.from_setting("127.0.0.1/32"), url)
        assert error is not None and not error.retryable and "127.0.0.2" in str(error)
        assert outer.fence() >= 2, "the allowed first hop was reached"
        assert inner.fence() == before + 1, "only the fence reached the redirect target"
    finally:
        inner.close()
        outer.close()


@pytest.mark.parametrize("connect", ["create_connection", "connect"])
def test_every_socket_connection_is_checked_where_it_is_made(listener, connect):
    def open_to_localhost() -> None:
        if connect == "create_connection":  # resolves first, connects to each address
            socket.create_connection(("localhost", listener.port), timeout=5).close()
        else:  # a name handed to connect() is resolved by the guard, then checked
            with socket.socket() as sock:
                sock.connect(("localhost", listener.port))

    open_to_localhost()  # unguarded code (Redis, Kafka, the API) connects as before
    before = listener.fence()
    assert before >= 1
    with guarded(AddressPolicy()) as guard, pytest.raises(ConnectionForbidden):
        open_to_localhost()
    assert guard.refused and "127.0.0.1" in guard.refused[0]
    assert listener.fence() == before + 1


async def test_http_channels_are_checked_at_the_socket_too(listener):
    """Even with a resolver that checks nothing, the poster's connections pass the guard."""
    url = f"http://localhost:{listener.port}/hook"
    async with aiohttp.ClientSession() as session:
        await Poster(session, AddressPolicy.from_setting("127.0.0.0/8")).post(
            url, content=b"{}", headers={}
        )
        before = listener.fence()
        assert before >= 1
        with pytest.raises(DeliveryError) as refused:
            await Poster(session, AddressPolicy()).post(url, content=b"{}", headers={})
    assert not refused.value.retryable and "127.0.0.1" in str(refused.value)
    assert listener.fence() == before + 1
