"""Email over verified TLS: STARTTLS and implicit TLS (port 465 style) against a real SMTP
server (aiosmtpd) whose certificate comes from the test's own CA.

With the right CA the alert is delivered (and, with STARTTLS, the server refuses mail and
logins before the upgrade, so delivery proves the upgrade happened); with another CA, or a
certificate for another host name, delivery fails and the reason says "certificate".
"""

import asyncio
import ssl
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels.base import DeliveryError
from newswatch.alerter.channels.email import EmailChannel
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ChannelTarget
from tests.factories import classified
from tests.tls_ca import LocalCA

USER, PASSWORD = "alerts", "smtp-pw-3f1d"
RECIPIENT = ChannelTarget(kind="email", target="ops@example.org")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any):
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@asynccontextmanager
async def smtp_server(cert_dir: LocalCA, name: str, implicit: bool, hosts: tuple[str, ...]):
    """An SMTP server on a free loopback port; STARTTLS required unless ``implicit``."""
    cert = cert_dir.issue(name, hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert.cert, cert.key)
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            inbox,
            hostname="localhost",
            tls_context=None if implicit else context,
            require_starttls=not implicit,
            authenticator=_authenticate,
            auth_require_tls=not implicit,
        ),
        "127.0.0.1",
        0,
        ssl=context if implicit else None,
    )
    try:
        yield inbox, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def channel(port: int, security: str, ca_file: Path) -> EmailChannel:
    settings = AlerterSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        smtp_ca_file=ca_file,
        smtp_username=USER,
        smtp_password=PASSWORD,
        smtp_timeout_seconds=10,
    )
    return EmailChannel.from_settings(settings, None)  # type: ignore[arg-type]


def an_alert() -> Alert:
    item = classified(1)
    return Alert("d" * 32, "ops", item, item.tags)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("smtp-ca"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("other-ca"), name="some other CA")


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
async def test_delivered_over_verified_tls_with_the_right_ca(
    ca: LocalCA, security: str, implicit: bool
) -> None:
    async with smtp_server(ca, f"smtp-{security}", implicit, ("localhost", "127.0.0.1")) as (
        inbox,
        port,
    ):
        await channel(port, security, ca.cert).send(an_alert(), RECIPIENT)
    assert [m.rcpt_tos for m in inbox.messages] == [["ops@example.org"]]
    assert b"Missile strike hits Odesa port (1)" in (inbox.messages[0].original_content or b"")


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
async def test_a_server_certificate_from_another_ca_fails_delivery(
    ca: LocalCA, other_ca: LocalCA, security: str, implicit: bool
) -> None:
    async with smtp_server(ca, f"smtp-{security}-x", implicit, ("localhost", "127.0.0.1")) as (
        inbox,
        port,
    ):
        with pytest.raises(DeliveryError) as failed:
            await channel(port, security, other_ca.cert).send(an_alert(), RECIPIENT)
    assert "certificate" in str(failed.value)
    assert inbox.messages == []


async def test_a_certificate_for_another_host_fails_delivery(ca: LocalCA) -> None:
    async with smtp_server(ca, "smtp-elsewhere", True, ("mail.elsewhere.example",)) as (
        inbox,
        port,
    ):
        with pytest.raises(DeliveryError) as failed:
            await channel(port, "tls", ca.cert).send(an_alert(), RECIPIENT)
    assert "certificate" in str(failed.value) and "127.0.0.1" in str(failed.value)
    assert inbox.messages == []


def test_the_older_starttls_flag_still_means_starttls() -> None:
    assert AlerterSettings(smtp_starttls=True).smtp_tls_mode == "starttls"
    assert AlerterSettings().smtp_tls_mode == "none"
