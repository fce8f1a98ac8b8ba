"""The classifier's partitioner sends every key where Kafka's default partitioner does."""

import random
from collections.abc import Callable

import pytest
from aiokafka.partitioner import DefaultPartitioner, murmur2

from newswatch.classifier import kernel
from newswatch.classifier.partitioner import KeyPartitioner
from tests.conftest import IN_CI

# Kafka's own UtilsTest.testMurmur2 (signed 32-bit, as the Java client returns them).
JAVA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}
HASHES = ["C kernel", "aiokafka"]


def _native() -> Callable[[bytes], int]:
    native = kernel.native_murmur2()
    if native is None:
        if IN_CI:
            pytest.fail("the C kernel is not built (make install builds it; CI has a compiler)")
        pytest.skip("the C kernel is not built here (no C compiler at install)")
    return native


@pytest.mark.parametrize("name", HASHES)
def test_murmur2_is_kafkas(name: str) -> None:
    hash_of = _native() if name == "C kernel" else murmur2
    for key, java in JAVA_VECTORS.items():
        assert hash_of(key) == java & 0xFFFFFFFF, key


def test_the_kernel_hashes_every_length_as_aiokafka_does() -> None:
    native = _native()
    draw = random.Random(2)
    for length in range(0, 70):  # every tail length, keys of items (32 hex digits) included
        for _ in range(50):
            key = draw.randbytes(length)
            assert native(key) == murmur2(key), key
    assert native(bytearray(b"abc")) == JAVA_VECTORS[b"abc"]  # any bytes-like key
    with pytest.raises(TypeError):
        native("abc")  # type: ignore[arg-type]


def test_keys_land_on_the_default_partitioners_partitions() -> None:
    ours, default = KeyPartitioner(), DefaultPartitioner()
    draw = random.Random(3)
    for count in (1, 2, 3, 12, 50):
        partitions = list(range(count))
        for _ in range(300):
            key = f"{draw.getrandbits(128):032x}".encode()
            assert ours(key, partitions, partitions) == default(key, partitions, partitions)
    # Hand-computed: (-790332482 & 0x7fffffff) % 50 == 16.
    assert ours(b"foobar", list(range(50)), []) == 16


def test_an_unkeyed_record_goes_to_an_available_partition() -> None:
    ours = KeyPartitioner()
    assert {ours(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
    assert {ours(None, [0, 1], []) for _ in range(50)} <= {0, 1}
