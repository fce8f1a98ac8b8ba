"""A generic JSON webhook: the classified item and delivery ids, optionally HMAC-signed.

With a ``secret`` option the request carries ``X-Newswatch-Timestamp`` and
``X-Newswatch-Signature: sha256=<hex>``, an HMAC-SHA256 of ``"{timestamp}.{body}"``.
"""

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels.http import HttpChannel, post
from newswatch.shared.contracts import SCHEMA_VERSION, ChannelTarget


class WebhookChannel(HttpChannel):
    kind: ClassVar[str] = "webhook"

    async def send(self, alert: Alert, target: ChannelTarget) -> None:
        body = json.dumps(webhook_payload(alert), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Newswatch-Delivery": alert.delivery_id}
        secret = target.options.get("secret")
        if secret:
            headers.update(sign(body, secret, int(time.time())))
        await post(self._client, target.target, content=body, headers=headers)


def webhook_payload(alert: Alert) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "newswatch.alert",
        "delivery_id": alert.delivery_id,
        "subscription_id": alert.subscription_id,
        "tags": [h.tag for h in alert.hits],
        "classified": alert.item.model_dump(mode="json"),
    }


def sign(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Newswatch-Timestamp": str(timestamp), "X-Newswatch-Signature": f"sha256={digest}"}


def verify(
    body: bytes, secret: str, timestamp: str, signature: str, tolerance_s: int = 300
) -> bool:
    """What a receiver runs: constant-time check, and refuse stale timestamps (replays)."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    expected = sign(body, secret, int(timestamp))["X-Newswatch-Signature"]
    return age <= tolerance_s and hmac.compare_digest(expected, signature)
