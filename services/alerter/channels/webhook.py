"""A generic JSON webhook: the classified item, its story and the delivery ids, HMAC-signed.

With a ``secret`` option the request carries ``X-Newswatch-Timestamp`` and
``X-Newswatch-Signature: sha256=<hex>``, an HMAC-SHA256 of ``"{timestamp}.{body}"``.
"""

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

from newswatch.alerter.alert import Alert, Digest, Notice
from newswatch.alerter.channels.http import HttpChannel, Poster
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import SCHEMA_VERSION, ChannelTarget


class WebhookChannel(HttpChannel):
    kind: ClassVar[str] = "webhook"

    @classmethod
    def from_settings(cls, settings: AlerterSettings, poster: Poster) -> "WebhookChannel":
        return cls(poster)

    async def send(self, notice: Notice, target: ChannelTarget) -> None:
        payload = webhook_payload(notice) if isinstance(notice, Alert) else digest_payload(notice)
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"X-Newswatch-Delivery": notice.delivery_id}
        secret = target.options.get("secret")
        if secret:
            headers.update(sign(body, secret, int(time.time())))
        await self.post_json(target.target, body, headers)


def webhook_payload(alert: Alert) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "newswatch.alert",
        "delivery_id": alert.delivery_id,
        "subscription_id": alert.subscription_id,
        "story_id": alert.story_id,
        "tags": [h.tag for h in alert.hits],
        "story": alert.story.model_dump(mode="json") if alert.story else None,
        "classified": alert.item.model_dump(mode="json"),
    }


def digest_payload(digest: Digest) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "newswatch.digest",
        "delivery_id": digest.delivery_id,
        "subscription_id": digest.subscription_id,
        "entries": [
            {
                "update": e.update,
                "tags": [h.tag for h in e.hits],
                "story": e.story.model_dump(mode="json"),
                "classified": e.item.model_dump(mode="json"),
            }
            for e in digest.entries
        ],
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
