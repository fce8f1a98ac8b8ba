import pytest

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels import Channel, DeliveryError
from newswatch.alerter.delivery import backoff_delay, deliver
from newswatch.alerter.ledger import delivery_id
from newswatch.shared.contracts import ChannelTarget, Subscription
from tests.factories import classified

CONSOLE = [ChannelTarget(kind="console")]


def sub(id_: str, tags: list[str], **kw) -> Subscription:
    return Subscription(id=id_, tags=tags, channels=CONSOLE, **kw)


def test_delivery_ids_are_one_per_subscription_story_and_destination():
    assert delivery_id("s", "i", "email:a") == delivery_id("s", "i", "email:a")
    assert (
        len(
            {
                delivery_id("s", "i", "email:a"),
                delivery_id("s", "i", "email:b"),
                delivery_id("t", "i", "email:a"),
            }
        )
        == 3
    )


class Scripted(Channel):
    kind = "scripted"

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    async def send(self, alert, target):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome


async def run(channel: Channel, attempts: int = 4):
    item = classified(1)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    result = await deliver(
        channel,
        Alert("d", "s", item, item.tags),
        ChannelTarget(kind="scripted"),
        team="t",
        max_attempts=attempts,
        backoff_base=1.0,
        backoff_max=8.0,
        sleep=sleep,
    )
    return result, sleeps


async def test_retryable_failures_are_retried_and_every_attempt_is_recorded():
    result, sleeps = await run(
        Scripted(
            DeliveryError("503", retryable=True, status_code=503),
            DeliveryError("429", retryable=True, retry_after=5.0, status_code=429),
            None,
        )
    )
    assert result.status == "delivered"
    assert [a.ok for a in result.attempts] == [False, False, True]
    assert len(sleeps) == 2 and sleeps[1] >= 5.0, "Retry-After is honoured"


async def test_a_permanent_failure_is_not_retried():
    channel = Scripted(DeliveryError("404", retryable=False, status_code=404))
    result, sleeps = await run(channel)
    assert result.status == "failed" and channel.calls == 1 and sleeps == []


async def test_attempts_stop_at_the_limit():
    channel = Scripted(*[DeliveryError("down", retryable=True)] * 3)
    result, _ = await run(channel, attempts=3)
    assert result.status == "failed" and len(result.attempts) == 3


@pytest.mark.parametrize("attempt", [1, 2, 5, 10])
def test_backoff_is_jittered_exponential_and_capped(attempt):
    for _ in range(50):
        assert 0 <= backoff_delay(attempt, 1.0, 8.0) <= min(8.0, 2 ** (attempt - 1))
