"""Running a service until SIGINT or SIGTERM, then letting its `finally` blocks close cleanly."""

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any


def run_service(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main``; a signal cancels it so producers flush and connections close."""

    async def supervised() -> None:
        task = asyncio.ensure_future(main)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):  # the requested way out
            await task

    asyncio.run(supervised())
