"""What the alerter remembers of each item it alerted a team to, for feedback on it later.

Delivery records keep ids and tags only, and items are not stored anywhere else; so when
a notice is sent, the item's title, summary, language and tags are kept here, with the
teams (and a delivery each) that were told. Feedback then snapshots what the officer saw,
and a team can report only on items it was alerted to.

Keys (``{prefix}:feedback:item:{item_id}``): hash ``item`` -> ItemSnapshot JSON,
``team:{team}`` -> the team's latest delivery of it, ``in:{delivery_id}`` -> the team, one per
delivery that carried it (a digest carries several items; its record names only the newest);
expiring ``SNAPSHOT_TTL_SECONDS`` after the last alert.
"""

from redis.asyncio import Redis

from newswatch.shared.contracts import ClassifiedItem, ItemSnapshot

SNAPSHOT_TTL_SECONDS = 35 * 24 * 3600  # past the 30-day precision window and any link
SUMMARY_KEPT = 20_000


def snapshot_of(item: ClassifiedItem) -> ItemSnapshot:
    return ItemSnapshot(
        title=item.item.title[:2000],
        summary=item.item.summary[:SUMMARY_KEPT],
        language=item.item.language,
        tags=item.tag_names,
    )


class ItemSnapshots:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:feedback:item"

    async def remember(self, team: str, delivery_id: str, *items: ClassifiedItem) -> None:
        """Keep the items of one delivery (an alert's one, a digest's stories), in one trip."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for item in items:
                key = f"{self._prefix}:{item.item.id}"
                snapshot = snapshot_of(item).model_dump_json()
                pipe.hset(
                    key,
                    mapping={
                        "item": snapshot,
                        f"team:{team}": delivery_id,
                        f"in:{delivery_id}": team,
                    },
                )
                pipe.expire(key, SNAPSHOT_TTL_SECONDS)
            await pipe.execute()

    async def recall(self, item_id: str) -> tuple[ItemSnapshot | None, dict[str, str]]:
        """The item as last alerted (None: never, or too long ago) and team -> a delivery id."""
        raw = await self._redis.hgetall(f"{self._prefix}:{item_id}")
        snapshot = ItemSnapshot.model_validate_json(raw[b"item"]) if b"item" in raw else None
        teams = {k.decode()[5:]: v.decode() for k, v in raw.items() if k.startswith(b"team:")}
        return snapshot, teams

    async def carried(self, item_id: str, delivery_id: str, team: str) -> bool:
        """Whether that delivery (to that team) carried the item: any item of a digest, not
        only the newest its record names. Items remembered before deliveries were noted one
        by one answer by the team's latest delivery."""
        key = f"{self._prefix}:{item_id}"
        noted, latest = await self._redis.hmget(key, [f"in:{delivery_id}", f"team:{team}"])
        return noted == team.encode() or latest == delivery_id.encode()
