"""A faust agent that only consumes and acknowledges: faust's own ceiling on this machine.

Run by benchmarks/stream.py as ``python -m benchmarks.faust_floor BOOTSTRAP TOPIC COUNT
CONSUMER``, CONSUMER ``stock`` (faust's own fetch loop) or ``eager`` (the classifier's);
prints ``rate=<items/s> cpu_us=<CPU us per item>`` once COUNT records went through. faust's
data directory is a temporary folder, removed at exit, never the working directory.
"""

import os
import shutil
import sys
import tempfile
import time
import uuid

import faust
from faust.worker import Worker

from newswatch.classifier.eager import use_eager_consumer


def main(bootstrap: str, topic: str, expected: int, consumer: str, datadir: str) -> None:
    app = faust.App(
        f"bench-floor-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=datadir,
        web_enabled=False,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_max_poll_records=1000,  # as the classifier polls
        key_serializer="raw",
        value_serializer="raw",
    )
    if consumer == "eager":
        use_eager_consumer(app)
    seen = {"n": 0, "start": 0.0, "cpu": 0.0}

    @app.agent(app.topic(topic, key_serializer="raw", value_serializer="raw"))
    async def consume(stream: faust.StreamT) -> None:
        async for _ in stream.events():
            seen["n"] += 1
            if seen["n"] == 1:
                seen["start"], seen["cpu"] = time.perf_counter(), time.process_time()
            elif seen["n"] == expected:
                rate = (expected - 1) / (time.perf_counter() - seen["start"])
                cpu_us = (time.process_time() - seen["cpu"]) / (expected - 1) * 1e6
                print(f"rate={rate} cpu_us={cpu_us}", flush=True)
                shutil.rmtree(datadir, ignore_errors=True)  # os._exit skips all cleanup
                os._exit(0)  # the figures are out; a warm shutdown would only add seconds

    Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as folder:
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], folder)
