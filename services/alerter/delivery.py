"""Delivering one alert to one destination: attempts, backoff, the record of each try."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels import Channel, DeliveryError
from newswatch.shared.contracts import ChannelTarget, Delivery, DeliveryAttempt, DeliveryStatus

log = logging.getLogger("newswatch.alerter")


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff; a receiver's Retry-After is a floor, never ignored."""
    delay = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
    return max(delay, retry_after) if retry_after is not None else delay


async def deliver(
    channel: Channel,
    alert: Alert,
    target: ChannelTarget,
    *,
    team: str,
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Delivery:
    attempts: list[DeliveryAttempt] = []
    status = DeliveryStatus.FAILED
    for n in range(1, max_attempts + 1):
        started = time.perf_counter()
        try:
            await channel.send(alert, target)
        except DeliveryError as exc:
            attempts.append(
                DeliveryAttempt(
                    ok=False, error=str(exc), status_code=exc.status_code, duration_ms=_ms(started)
                )
            )
            log.warning(
                "delivery %s to %s attempt %d/%d failed: %s",
                alert.delivery_id,
                channel.mask(target),
                n,
                max_attempts,
                exc,
            )
            if not exc.retryable or n == max_attempts:
                break
            await sleep(backoff_delay(n, backoff_base, backoff_max, exc.retry_after))
        else:
            attempts.append(DeliveryAttempt(ok=True, duration_ms=_ms(started)))
            status = DeliveryStatus.DELIVERED
            break
    item = alert.item.item
    return Delivery(
        id=alert.delivery_id,
        subscription_id=alert.subscription_id,
        team=team,
        item_id=item.id,
        item_revision=item.revision,
        channel=target.kind,
        target=channel.mask(target),
        tags=[h.tag for h in alert.hits],
        status=status,
        attempts=attempts,
        created_at=attempts[0].at if attempts else alert.item.classified_at,
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
