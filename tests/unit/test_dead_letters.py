"""The dead-letter builder: whatever the failed message, the dead letter can be sent."""

import hashlib
import json
import random

from newswatch.shared.contracts import DeadLetter
from newswatch.shared.dead_letters import build_dead_letter

KAFKA_MESSAGE_LIMIT = 1_000_000


def letter(payload: bytes | None, **kw) -> DeadLetter:
    return build_dead_letter(
        service="classifier", error_kind="invalid_json", error="bad", payload=payload, **kw
    )


def test_a_900_kb_binary_payload_yields_a_sendable_letter_with_its_size_and_hash():
    payload = random.Random(9).randbytes(900_000)
    dead = letter(payload, source_topic="t.items.v1", partition=1, offset=42, key=b"k1")
    assert len(dead.to_json_bytes()) < KAFKA_MESSAGE_LIMIT
    assert dead.payload_bytes == 900_000
    assert dead.payload_sha256 == hashlib.sha256(payload).hexdigest()
    assert dead.payload_truncated is True
    assert (dead.source_topic, dead.partition, dead.offset, dead.key) == ("t.items.v1", 1, 42, "k1")


def test_a_small_valid_payload_is_kept_whole():
    payload = '{"title": "Grève à Paris", "n": 1}'.encode()
    dead = letter(payload)
    assert dead.payload == '{"title": "Grève à Paris", "n": 1}'
    assert dead.payload_truncated is False
    assert dead.payload_bytes == len(payload) == 36  # 34 characters, two of them 2 bytes
    assert dead.payload_sha256 == hashlib.sha256(payload).hexdigest()


def test_characters_that_escape_to_six_bytes_are_counted_escaped():
    payload = "\u0001".encode() * 200_000  # each is 1 byte raw, `\u0001` (6 bytes) in JSON
    dead = letter(payload)
    assert len(dead.to_json_bytes()) < KAFKA_MESSAGE_LIMIT
    assert dead.payload_truncated is True
    assert 0 < len(dead.payload) <= 64_000 // 6
    assert set(dead.payload) == {"\u0001"}


def test_the_kept_prefix_serialises_within_the_asked_budget():
    payload = ('"\\\n' + "é" + "x" * 10).encode() * 10_000
    dead = letter(payload, max_payload_bytes=1_000)
    escaped = json.dumps(dead.payload, ensure_ascii=False).encode()
    assert len(escaped) - 2 <= 1_000
    assert payload.decode().startswith(dead.payload) and len(dead.payload) > 500


def test_a_multibyte_character_is_not_cut_in_half():
    dead = letter("€".encode() * 10, max_payload_bytes=7)  # 3 bytes each: two fit
    assert dead.payload == "€€" and dead.payload_truncated is True


def test_even_a_budget_above_the_cap_keeps_the_letter_under_the_limit():
    dead = letter(b"\x02" * 5_000_000, max_payload_bytes=10_000_000)
    assert len(dead.to_json_bytes()) < KAFKA_MESSAGE_LIMIT


def test_error_and_key_are_cut_to_sane_lengths():
    dead = build_dead_letter(
        service="alerter",
        error_kind="delivery_failed",
        error="boom " * 100_000,
        payload=b"{}",
        key="k" * 100_000,
    )
    assert len(dead.error) <= 2_000 and dead.error.startswith("boom boom")
    assert dead.key is not None and len(dead.key) <= 500 and dead.key.startswith("kkk")


def test_a_missing_value_is_recorded_as_empty():
    dead = letter(None)
    assert dead.payload == "" and dead.payload_bytes == 0 and dead.payload_truncated is False
    assert dead.payload_sha256 == hashlib.sha256(b"").hexdigest()


def test_letters_of_1_1_writers_are_still_read():
    old = {
        "schema_version": "1.1",
        "service": "alerter",
        "error_kind": "x",
        "error": "y",
        "payload": "z",
        "failed_at": "2026-01-01T00:00:00Z",
    }
    dead = DeadLetter.model_validate(old)
    assert dead.payload_bytes is None and dead.payload_truncated is False
