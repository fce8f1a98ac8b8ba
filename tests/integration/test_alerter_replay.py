"""`newswatch deliveries failed|retry`: failed deliveries are kept, listed and replayed."""

import asyncio
import os
import sys

import pytest

from newswatch.alerter.failed import FailedFilter
from newswatch.demo.receivers import Response
from newswatch.shared.contracts import ChannelTarget, Subscription
from tests.integration.alerter_harness import Receivers, RunningAlerter, publish
from tests.integration.helpers import until
from tests.integration.test_alerter_delivery import report, settings_for

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


async def newswatch(server_env: dict[str, str], *args: str) -> str:
    """The real command, as an operator runs it; its output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "newswatch.cli",
        *args,
        env={**os.environ, **server_env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_failed_deliveries_are_listed_and_replayed_by_subscription(env_settings, server_env):
    receivers = Receivers()
    answer = {"status": 404}  # gone, then back: an operator fixed the receiver
    for path in ("/one", "/two"):
        receivers.route(path, lambda _: Response(answer["status"]))
    settings = settings_for(receivers)
    subs = [
        Subscription(
            id=name,
            team="replay",
            tags=["strike"],
            channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/{name}")],
        )
        for name in ("one", "two")
    ]
    reports = [report(n, f"Strike on Town{n} depot", "Wire", f"Town{n}", n) for n in (1, 2)]
    try:
        async with RunningAlerter(settings) as running:
            failed = running.alerter.failed
            await running.subscribe(*subs)
            running.start()
            await publish(settings, *reports)
            everything = FailedFilter(team="replay")
            for _ in range(300):  # until all four have failed (a 404 is final at once)
                if len(await failed.failed_deliveries(everything)) == 4:
                    break
                await asyncio.sleep(0.1)
            assert len(await failed.failed_deliveries(everything)) == 4

            dry = await newswatch(
                server_env, "deliveries", "retry", "--team", "replay", "--subscription", "one",
                "--dry-run",
            )  # fmt: skip
            assert dry.count("would queue") == 2 and "2 failed delivery(ies) (dry run)" in dry
            assert await running.alerter.queue.size() == 0, "a dry run queues nothing"
            none = await newswatch(
                server_env, "deliveries", "failed", "--channel", "webhook", "--since", "2999-01-01"
            )
            assert none.strip() == "0 failed delivery(ies)"

            answer["status"] = 200
            done = await newswatch(
                server_env, "deliveries", "retry", "--team", "replay", "--subscription", "one"
            )
            assert "2 delivery(ies) queued again" in done
            await until(lambda: receivers.ok("/one") == 2)
            await until(lambda: running.alerter.dispatcher.in_flight == 0)
            left = await failed.failed_deliveries(everything)
            one = await running.alerter.ledger.recent("replay", "one")
    finally:
        receivers.close()
    assert sorted(d.subscription_id for d in left) == ["two", "two"], "only what was chosen"
    assert [d.status for d in one] == ["delivered", "delivered"]
    assert all([a.status_code for a in d.attempts] == [404, None] for d in one)
    assert len(receivers.http.received("/two")) == 2, "the others were not replayed"
