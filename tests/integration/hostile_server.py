"""A local HTTP server that misbehaves on purpose, one way per path, on raw sockets."""

import asyncio
import gzip
import socket
import struct
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import brotli

from newswatch.demo.feed import Story, render_rss

GOOD_FEED = render_rss(
    "Good",
    "http://good.example",
    [("g1", Story("Harbour reopens", "Ships are back."), datetime(2025, 9, 2, tzinfo=UTC))],
)
# 100 MB of zeros, gzip-compressed to about 100 KB: a compression bomb.
BOMB = gzip.compress(b"\0" * 100_000_000, compresslevel=9)
LATIN1_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title>'
    "<item><title>Élection à Genève</title><link>http://x.example/1</link></item></channel></rss>"
).encode("latin-1")

Writer = asyncio.StreamWriter


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"HTTP/1.1 {status}",
        *(f"{k}: {v}" for k, v in headers.items()),
        "Connection: close",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


async def _send(w: Writer, status: str, body: bytes = b"", **headers: str) -> None:
    headers = {
        "Content-Length": str(len(body)),
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    w.write(_head(status, headers) + body)
    await w.drain()


async def good(w: Writer) -> None:
    await _send(w, "200 OK", GOOD_FEED, Content_Type="application/rss+xml")


async def drip(w: Writer) -> None:
    w.write(_head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "100000"}))
    for _ in range(120):
        w.write(b"<")
        await w.drain()
        await asyncio.sleep(0.5)


async def endless(w: Writer) -> None:
    w.write(
        _head("200 OK", {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"})
    )
    chunk = b"x" * 65536
    for _ in range(10_000):
        w.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await w.drain()


async def big(w: Writer) -> None:
    w.write(
        _head(
            "200 OK",
            {"Content-Type": "application/rss+xml", "Content-Length": str(50 * 1024 * 1024)},
        )
    )
    chunk = b"y" * 65536
    for _ in range(50 * 16):
        w.write(chunk)
        await w.drain()


async def bomb(w: Writer) -> None:
    await _send(w, "200 OK", BOMB, Content_Type="application/rss+xml", Content_Encoding="gzip")


async def loop(w: Writer) -> None:
    await _send(w, "302 Found", Location="/loop")


async def html(w: Writer) -> None:
    await _send(
        w,
        "200 OK",
        b"<!doctype html><html><body><p>Welcome!</p></body></html>",
        Content_Type="text/html",
    )


async def wrong_type(w: Writer) -> None:
    await _send(
        w, "200 OK", GOOD_FEED.replace(b"g1", b"wt1"), Content_Type="text/html; charset=utf-8"
    )


async def bad_charset(w: Writer) -> None:
    await _send(w, "200 OK", LATIN1_FEED, Content_Type="application/rss+xml; charset=utf-8")


async def error_500(w: Writer) -> None:
    await _send(w, "500 Internal Server Error", b"boom")


async def too_many(w: Writer) -> None:
    await _send(w, "429 Too Many Requests", b"slow down", Retry_After="120")


async def reset(w: Writer) -> None:
    w.write(
        _head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "5000"})
        + GOOD_FEED[:80]
    )
    await w.drain()
    sock = w.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
    w.transport.abort()


async def brotli_encoded(w: Writer) -> None:
    body = brotli.compress(GOOD_FEED.replace(b"g1", b"br1"))
    await _send(w, "200 OK", body, Content_Type="application/rss+xml", Content_Encoding="br")


async def deflate_encoded(w: Writer) -> None:
    body = zlib.compress(GOOD_FEED.replace(b"g1", b"df1"))
    await _send(w, "200 OK", body, Content_Type="application/rss+xml", Content_Encoding="deflate")


async def empty(w: Writer) -> None:
    await _send(w, "200 OK", b"", Content_Type="application/rss+xml")


ROUTES: dict[str, Callable[[Writer], Awaitable[None]]] = {
    "/good.xml": good, "/drip": drip, "/endless": endless, "/big": big, "/bomb": bomb,
    "/loop": loop, "/html": html, "/wrong-type": wrong_type, "/bad-charset": bad_charset,
    "/500": error_500, "/429": too_many, "/reset": reset, "/brotli": brotli_encoded, "/deflate": deflate_encoded, "/empty": empty,
}  # fmt: skip


class HostileServer:
    def __init__(self) -> None:
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> "HostileServer":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            first = await reader.readexactly(1)
            if first == b"\x16":  # a TLS ClientHello sent to a plain-HTTP port
                writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            request = first + await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode()
            await ROUTES.get(path, error_500)(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client gave up (the point of most routes), or the test is over
        finally:
            if not writer.is_closing():
                writer.close()
