"""A faust agent that only consumes and acknowledges: faust's own ceiling on this machine.

Run by benchmarks/stream.py as ``python -m benchmarks.faust_floor BOOTSTRAP TOPIC COUNT``;
prints ``rate=<items/s>`` once COUNT records went through.
"""

import os
import sys
import time
import uuid

import faust
from faust.worker import Worker


def main(bootstrap: str, topic: str, expected: int) -> None:
    app = faust.App(
        f"bench-floor-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_max_poll_records=1000,  # as the classifier polls
        key_serializer="raw",
        value_serializer="raw",
    )
    seen = {"n": 0, "start": 0.0}

    @app.agent(app.topic(topic, key_serializer="raw", value_serializer="raw"))
    async def consume(stream: faust.StreamT) -> None:
        async for _ in stream.events():
            seen["n"] += 1
            if seen["n"] == 1:
                seen["start"] = time.perf_counter()
            elif seen["n"] == expected:
                rate = (expected - 1) / (time.perf_counter() - seen["start"])
                print(f"rate={rate}", flush=True)
                os._exit(0)  # the figure is out; a warm shutdown would only add seconds

    Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
