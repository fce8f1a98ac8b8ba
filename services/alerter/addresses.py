"""Which network addresses the alerter may post to: a guard against server-side request forgery.

A subscriber chooses the URLs we post to, so without a check anyone with an API
key could make the alerter reach into our own network (Redis, cloud metadata at
169.254.169.254, admin consoles). Private, loopback, link-local, multicast and
reserved addresses are refused unless an operator allows their network. The
check runs when a subscription is saved and again on every connection any channel
makes, Apprise's included (see ``egress``), because a name may resolve elsewhere
later (DNS rebinding) and a receiver may redirect.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from newswatch.shared.errors import NewswatchError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]


class AddressRefused(NewswatchError, ValueError):
    pass


def resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise AddressRefused(f"cannot resolve {host!r}: {exc}") from exc
    return sorted({str(info[4][0]) for info in infos})


class AddressPolicy:
    def __init__(self, allowed_networks: Iterable[str] = ()) -> None:
        self.allowed = [ipaddress.ip_network(n.strip(), strict=False) for n in allowed_networks]

    @classmethod
    def from_setting(cls, value: str) -> "AddressPolicy":
        return cls(n for n in value.split(",") if n.strip())

    def is_allowed(self, address: str | IpAddress) -> bool:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allowed):
            return True
        return ip.is_global and not ip.is_multicast

    def check_address(self, host: str, address: str) -> None:
        if not self.is_allowed(address):
            raise AddressRefused(
                f"{host!r} is {address}, a private, loopback, link-local or reserved address; "
                "refused (operators can allow networks with NEWSWATCH_ALERTER_ALLOWED_NETWORKS)"
            )

    def check_host(self, host: str, resolver: Resolver = resolve) -> None:
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            addresses = resolver(host)
        for address in addresses:
            self.check_address(host, address)

    def check_url(self, url: str, resolver: Resolver = resolve) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise AddressRefused(f"expected an http(s) URL, got {url!r}")
        self.check_host(parts.hostname, resolver)
