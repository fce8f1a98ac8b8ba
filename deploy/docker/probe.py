#!/usr/local/bin/python
"""`newswatch-probe [PATH | URL]`: the image's health check (python:slim has no curl).

Exits 0 when ``http://127.0.0.1:$NEWSWATCH_HEALTH_PORT<PATH>`` (default ``/readyz``, port
9108), or the full URL given, answers 2xx within 3 seconds; otherwise prints why and exits 1.
Standard library only, so it runs in any Python image.
"""

import os
import sys
import urllib.request


def probe_url(argument: str | None, environ: dict[str, str]) -> str:
    if argument and argument.startswith(("http://", "https://")):
        return argument
    port = environ.get("NEWSWATCH_HEALTH_PORT") or "9108"
    return f"http://127.0.0.1:{port}{argument or '/readyz'}"


def main(argv: list[str]) -> int:
    url = probe_url(argv[1] if len(argv) > 1 else None, dict(os.environ))
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            if 200 <= response.status < 300:
                return 0
            print(f"{url}: HTTP {response.status}", file=sys.stderr)
    except (OSError, ValueError) as exc:  # HTTPError and URLError are OSErrors
        print(f"{url}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
