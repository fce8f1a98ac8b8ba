"""Which partition each of the classifier's outputs goes to: Kafka's default, hashed in C.

Every Kafka client's default partitioner sends a keyed record to
``(murmur2(key) & 0x7fffffff) % partitions``, so an item's records land on the same
partition of every topic whoever produced them. aiokafka computes murmur2 in Python, about
8 microseconds a key, and the classifier sends a record per item and one more per tag.
"""

import random
from collections.abc import Callable, Sequence

from aiokafka.partitioner import murmur2 as python_murmur2

from newswatch.classifier import kernel


class KeyPartitioner:
    """aiokafka's ``DefaultPartitioner`` (every key to the partition it picks) with the hash
    in the C kernel where it is built."""

    def __init__(self, murmur2: Callable[[bytes], int] | None = None) -> None:
        self._murmur2 = murmur2 or kernel.native_murmur2() or python_murmur2

    def __call__(
        self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
    ) -> int:
        if key is None:  # spread unkeyed records, as the default does
            return random.choice(available or all_partitions)
        return all_partitions[(self._murmur2(key) & 0x7FFFFFFF) % len(all_partitions)]
