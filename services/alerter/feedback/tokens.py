"""Signed, expiring tokens for the one-click "False alarm" link. Pure.

A token is ``base64url(payload JSON) "." base64url(HMAC-SHA256(secret, first part))``.
The payload names team, delivery, item and tag and when the link stops working, so the
API can record the feedback without a key and without trusting anything in the URL
that the signature does not cover.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from newswatch.shared.errors import NewswatchError


class TokenError(NewswatchError, ValueError):
    """A token that cannot be honoured; ``status`` is the HTTP answer it deserves."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class LinkClaim:
    team: str
    delivery_id: str
    item_id: str
    tag: str
    expires_at: int  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def sign(claim: LinkClaim, secret: str) -> str:
    payload = {
        "t": claim.team,
        "d": claim.delivery_id,
        "i": claim.item_id,
        "g": claim.tag,
        "e": claim.expires_at,
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(secret, body))}"


def verify(token: str, secret: str, now: float) -> LinkClaim:
    """The claim of a genuine, unexpired token; TokenError (400 or 403) otherwise."""
    body, dot, signature = token.partition(".")
    if not dot or not body or not signature or len(token) > 2000:
        raise TokenError("this link is incomplete or damaged", 400)
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("this link is incomplete or damaged", 400) from exc
    # Signature first, in constant time: nothing unsigned is read, not even the expiry.
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise TokenError("this link was not issued by newswatch (bad signature)", 403)
    try:
        raw = json.loads(_unb64(body))
        claim = LinkClaim(str(raw["t"]), str(raw["d"]), str(raw["i"]), str(raw["g"]), int(raw["e"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise TokenError("this link is incomplete or damaged", 400) from exc
    if now >= claim.expires_at:
        raise TokenError("this link has expired; report the false alarm through the API", 400)
    return claim
