"""`newswatch classifier` as its own process, optionally with a classifier that explodes.

Run as ``python -m tests.integration.classifier_process``. With
``NEWSWATCH_TEST_EXPLODE_ON`` set, classifying an item whose title contains that text
raises, as a rule bug would; Kafka, faust and the router are the real ones.
"""

import os
import subprocess
import sys
from pathlib import Path

EXPLODE_ON = "NEWSWATCH_TEST_EXPLODE_ON"
ROOT = Path(__file__).resolve().parents[2]


def start_classifier(
    server_env: dict[str, str], log: Path, *, explode_on: str | None = None, **settings: str
) -> subprocess.Popen:
    env = {
        **os.environ,
        **server_env,
        "PYTHONUNBUFFERED": "1",
        **{f"NEWSWATCH_CLASSIFIER_{k.upper()}": v for k, v in settings.items()},
    }
    if explode_on:
        env[EXPLODE_ON] = explode_on
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.classifier_process"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop_classifier(worker: subprocess.Popen) -> None:
    """SIGTERM and wait for its shutdown; SIGKILL if it takes more than 20 s."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _run() -> None:
    from newswatch.classifier.classify import Classifier
    from newswatch.classifier.main import main
    from newswatch.shared.observability import configure_logging

    marker = os.environ.get(EXPLODE_ON)
    if marker:
        classify_item = Classifier.classify_item

        def exploding(self, item):  # type: ignore[no-untyped-def]
            if marker in item.title:
                raise RuntimeError(f"test rule exploded on {item.title!r}")
            return classify_item(self, item)

        Classifier.classify_item = exploding  # type: ignore[method-assign]
    configure_logging("INFO")
    main()


if __name__ == "__main__":
    _run()
