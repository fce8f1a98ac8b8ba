"""The egress guard at the socket: every connection made under :func:`guarded` is checked.

Channels built on aiohttp check addresses in their resolver (``channels.http``).
Apprise cannot be reached that way: its 100+ plugins connect through ``requests``
(urllib3), ``smtplib``, MQTT and syslog clients, each with its own resolution,
redirects and retries. So the check sits under all of them, in the one place every
TCP connection and UDP datagram passes: ``socket.socket.connect``/``connect_ex``/
``sendto``. They are wrapped once per process (:func:`install`); the wrapper does
nothing unless the calling context carries a guard, so Redis, Kafka and the API,
which connect to private addresses on purpose, are unaffected.

A guard is a context variable, not a thread-local, because Apprise hands work to
its executors with ``contextvars.copy_context()``: the guard travels with it.

What is checked is the address the socket is about to reach, after resolution, so
a name that resolves to a public address when saved and to 127.0.0.1 later (DNS
rebinding), and every redirect hop, are judged by where they really go. A refusal
raises :class:`ConnectionForbidden`, an ``OSError``, so libraries treat it as a
failed connection (no retries against other protocols, no crash); the guard keeps
the reason so the channel can report it and not retry.
"""

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from newswatch.alerter.addresses import AddressPolicy, AddressRefused


class ConnectionForbidden(PermissionError):
    """A guarded connection to an address the policy refuses."""


@dataclass
class Guard:
    policy: AddressPolicy
    refused: list[str] = field(default_factory=list)  # reasons, in order; shared across threads

    def check(self, sock: socket.socket, address: Any) -> Any:
        """The address to really use: IP literals as given, names resolved here and checked."""
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            self._refuse(f"{sock.family.name} sockets are not allowed for subscriber targets")
        host, port, *rest = address
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            # socket.connect would resolve the name itself; resolve it here instead so the
            # address checked is the address used.
            infos = socket.getaddrinfo(host, port, sock.family, sock.type)
            addresses = [str(info[4][0]) for info in infos]
        for candidate in addresses:
            self._check(host, candidate)
        return (addresses[0], port, *rest)

    def _check(self, host: str, address: str) -> None:
        try:
            self.policy.check_address(host, address)
        except AddressRefused as exc:
            self._refuse(str(exc))

    def _refuse(self, reason: str) -> None:
        self.refused.append(reason)
        raise ConnectionForbidden(reason)


_guard: ContextVar[Guard | None] = ContextVar("newswatch_egress_guard", default=None)
_install_lock = threading.Lock()
_installed = False


@contextmanager
def guarded(policy: AddressPolicy) -> Iterator[Guard]:
    """Check every socket connection made in this context (and contexts copied from it)."""
    install()
    guard = Guard(policy)
    token = _guard.set(guard)
    try:
        yield guard
    finally:
        _guard.reset(token)


def install() -> None:
    """Wrap the socket methods once per process; without a guard in context they pass through."""
    global _installed
    with _install_lock:
        if _installed:
            return
        connect, connect_ex, sendto = (
            socket.socket.connect,
            socket.socket.connect_ex,
            socket.socket.sendto,
        )

        def guarded_connect(self: socket.socket, address: Any) -> None:
            guard = _guard.get()
            return connect(self, guard.check(self, address) if guard else address)

        def guarded_connect_ex(self: socket.socket, address: Any) -> int:
            guard = _guard.get()
            return connect_ex(self, guard.check(self, address) if guard else address)

        def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
            guard = _guard.get()
            if guard and args:  # sendto(data, address) or sendto(data, flags, address)
                args = (*args[:-1], guard.check(self, args[-1]))
            return sendto(self, data, *args)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign, assignment]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign, assignment]
        socket.socket.sendto = guarded_sendto  # type: ignore[method-assign, assignment]
        _installed = True
