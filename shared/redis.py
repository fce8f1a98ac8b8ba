"""The Redis client every stage uses."""

from redis.asyncio import Redis

from newswatch.shared.settings import CommonSettings


def create_redis(settings: CommonSettings) -> Redis:
    return Redis.from_url(
        settings.redis_url,
        decode_responses=False,
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
    )
