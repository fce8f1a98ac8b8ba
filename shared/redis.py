"""The Redis client every stage uses."""

from redis.asyncio import BlockingConnectionPool, Redis

from newswatch.shared.settings import CommonSettings

# Enough for every feed or delivery in flight at the default concurrency; beyond it,
# a caller waits for a free connection rather than failing with "Too many connections".
MAX_CONNECTIONS = 64


def create_redis(settings: CommonSettings) -> Redis:
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=MAX_CONNECTIONS,
        timeout=30,
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool, decode_responses=False)
