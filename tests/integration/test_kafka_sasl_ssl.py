"""Every Kafka client of newswatch over SASL_SSL, as on a managed Kafka service.

A private broker (never the shared one) gets a SASL_SSL listener with a certificate from
the test's own CA, a SCRAM-SHA-512 user (created at storage format) and a PLAIN user.
Through that listener only, with the newswatch settings: the admin client creates the
topics, the shared producer publishes items, the classifier (a real faust worker process)
classifies them, and the alerter's consumer reads the results. A wrong password and a
wrong CA are refused, each with an error that says so.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from newswatch.alerter.bootstrap import build_consumer
from newswatch.alerter.settings import AlerterSettings
from newswatch.classifier.rules import load_default_tags
from newswatch.shared.contracts import ClassifiedItem
from newswatch.shared.kafka import (
    KafkaRefused,
    create_producer,
    ensure_topics,
    kafka_client_kwargs,
    start_with_retry,
)
from newswatch.shared.settings import CommonSettings
from tests.conftest import _private
from tests.factories import news_item
from tests.integration.classifier_process import start_classifier, stop_classifier
from tests.integration.helpers import log_tail
from tests.servers import PrivateKafka
from tests.tls_ca import KEYSTORE_PASSWORD, LocalCA

pytestmark = [pytest.mark.kafka]
SCRAM_USER, SCRAM_PASSWORD = "scram-svc", "scram-pw-5e3a"
PLAIN_USER, PLAIN_PASSWORD = "plain-svc", "plain-pw-91c7"
ITEMS = 6


class SaslSslKafka(PrivateKafka):
    """A private broker with a SASL_SSL listener beside its plaintext one (used by nothing
    here but the broker itself)."""

    port_variables = ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "KAFKA_SASL_SSL_PORT")

    def __init__(self, keystore: Path) -> None:
        super().__init__()
        self.keystore = keystore

    @property
    def sasl_ssl_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['KAFKA_SASL_SSL_PORT']}"

    def extra_properties(self) -> str:
        p = self.ports
        return "\n".join(
            [
                f"listeners=PLAINTEXT://127.0.0.1:{p['KAFKA_PORT']},"
                f"CONTROLLER://127.0.0.1:{p['KAFKA_CONTROLLER_PORT']},"
                f"SASL_SSL://127.0.0.1:{p['KAFKA_SASL_SSL_PORT']}",
                "listener.security.protocol.map="
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
                "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
                "listener.name.sasl_ssl.plain.sasl.jaas.config="
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'user_{PLAIN_USER}="{PLAIN_PASSWORD}";',
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "ssl.keystore.type=PKCS12",
                f"ssl.keystore.location={self.keystore}",
                f"ssl.keystore.password={KEYSTORE_PASSWORD}",
                f"ssl.key.password={KEYSTORE_PASSWORD}",
            ]
        )

    def format_args(self) -> list[str]:
        return ["--add-scram", f"SCRAM-SHA-512=[name={SCRAM_USER},password={SCRAM_PASSWORD}]"]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("kafka-ca"))


@pytest.fixture(scope="module")
def broker(ca: LocalCA) -> Iterator[SaslSslKafka]:
    yield from _private(SaslSslKafka(ca.issue("broker").keystore))


def secured_env(
    broker: SaslSslKafka,
    ca_file: Path,
    mechanism: str,
    user: str,
    password_file: Path,
    prefix: str,
    redis_url: str,
) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": broker.sasl_ssl_bootstrap,
        "REDIS_URL": redis_url,
        "NEWSWATCH_TOPIC_PREFIX": prefix,
        "NEWSWATCH_TOPIC_PARTITIONS": "2",
        "NEWSWATCH_HEALTH_PORT": "0",  # no fixed port: other tests' services may hold it
        "NEWSWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "NEWSWATCH_KAFKA_SASL_MECHANISM": mechanism,
        "NEWSWATCH_KAFKA_SASL_USERNAME": user,
        # The password as an operator would hand it over: a file, never the environment.
        "NEWSWATCH_KAFKA_SASL_PASSWORD_FILE": str(password_file),
        "NEWSWATCH_KAFKA_SSL_CAFILE": str(ca_file),
    }


@pytest.mark.parametrize(
    ("mechanism", "user", "password"),
    [("SCRAM-SHA-512", SCRAM_USER, SCRAM_PASSWORD), ("PLAIN", PLAIN_USER, PLAIN_PASSWORD)],
)
async def test_admin_producer_classifier_and_consumer_over_sasl_ssl(
    broker: SaslSslKafka,
    ca: LocalCA,
    redis_url: str,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mechanism: str,
    user: str,
    password: str,
) -> None:
    (tmp_path / "kafka-password").write_text(password + "\n")
    env = secured_env(
        broker, ca.cert, mechanism, user, tmp_path / "kafka-password", prefix, redis_url
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = CommonSettings()
    topics = settings.topics
    created = await ensure_topics(settings, topics.pipeline([t.tag for t in load_default_tags()]))
    assert topics.items in created and topics.classified in created

    producer = create_producer(settings, "test-secured-producer")
    await producer.start()
    try:
        for n in range(1, ITEMS + 1):
            item = news_item(n, title=f"Secured pipeline check {n}")
            await producer.send_and_wait(topics.items, item.to_json_bytes(), key=item.id.encode())
    finally:
        await producer.stop()

    log = tmp_path / "classifier.log"
    worker = start_classifier(env, log)
    consumer = build_consumer(AlerterSettings(), "test-secured-consumer")
    await consumer.start()
    try:
        got: list[ClassifiedItem] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while len(got) < ITEMS:
            assert worker.poll() is None, f"classifier exited\n{log_tail(log)}"
            assert loop.time() < deadline, f"{len(got)}/{ITEMS} classified\n{log_tail(log)}"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                got += [ClassifiedItem.model_validate_json(r.value) for r in records]
    finally:
        await consumer.stop()
        stop_classifier(worker)
    titles = sorted(c.item.title for c in got)
    assert titles == sorted(f"Secured pipeline check {n}" for n in range(1, ITEMS + 1))


@pytest.mark.parametrize(
    ("mechanism", "user"), [("SCRAM-SHA-512", SCRAM_USER), ("PLAIN", PLAIN_USER)]
)
async def test_a_wrong_password_is_refused_with_a_clear_error(
    broker: SaslSslKafka, ca: LocalCA, mechanism: str, user: str
) -> None:
    settings = CommonSettings(
        kafka_bootstrap_servers=broker.sasl_ssl_bootstrap,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username=user,
        kafka_sasl_password="not-the-password",
        kafka_ssl_cafile=ca.cert,
    )
    refused = await _refusal(settings)
    assert "refused the SASL credentials" in refused
    assert "SaslAuthenticationFailed: Authentication failed" in refused


async def test_a_broker_certificate_from_another_ca_is_refused(
    broker: SaslSslKafka, tmp_path: Path
) -> None:
    stranger = LocalCA.create(tmp_path / "other-ca", name="some other CA")
    settings = CommonSettings(
        kafka_bootstrap_servers=broker.sasl_ssl_bootstrap,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=SCRAM_USER,
        kafka_sasl_password=SCRAM_PASSWORD,
        kafka_ssl_cafile=stranger.cert,
    )
    refused = await _refusal(settings)
    assert "TLS with" in refused and "certificate verify failed" in refused


async def _refusal(settings: CommonSettings) -> str:
    """Start a producer as the services do; it must fail at once (no 60 s of retries) and say
    why. The time limit is well below start_with_retry's deadline."""
    producer = AIOKafkaProducer(**kafka_client_kwargs(settings))
    try:
        with pytest.raises(KafkaRefused) as refused:
            await asyncio.wait_for(
                start_with_retry(producer, "test producer", settings=settings), timeout=30
            )
    finally:
        await producer.stop()
    return str(refused.value)
