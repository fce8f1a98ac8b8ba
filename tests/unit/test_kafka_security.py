"""The Kafka security settings as aiokafka and faust arguments (pure: no broker)."""

import ssl

import pytest
from faust.auth import SASLCredentials, SSLCredentials

from newswatch.shared.kafka import faust_credentials, kafka_client_kwargs
from newswatch.shared.settings import CommonSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWATCH_SECRETS_DIR", raising=False)


def test_plaintext_by_default() -> None:
    kwargs = kafka_client_kwargs(CommonSettings(kafka_bootstrap_servers="k:9092"))
    assert kwargs == {
        "bootstrap_servers": "k:9092",
        "security_protocol": "PLAINTEXT",
        "ssl_context": None,
    }
    assert faust_credentials(CommonSettings()) is None


def test_sasl_ssl_verifies_certificates_and_host_names() -> None:
    settings = CommonSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="svc",
        kafka_sasl_password="pw",
    )
    kwargs = kafka_client_kwargs(settings)
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("svc", "pw")
    context = kwargs["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    credentials = faust_credentials(settings)
    assert isinstance(credentials, SASLCredentials)
    assert (
        credentials.protocol.value == "SASL_SSL" and credentials.mechanism.value == "SCRAM-SHA-512"
    )


def test_sasl_plaintext_has_no_tls_context() -> None:
    settings = CommonSettings(
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u", kafka_sasl_password="p"
    )
    assert kafka_client_kwargs(settings)["ssl_context"] is None
    assert faust_credentials(settings).protocol.value == "SASL_PLAINTEXT"


def test_ssl_without_host_name_check_still_verifies_the_chain() -> None:
    settings = CommonSettings(kafka_security_protocol="SSL", kafka_ssl_check_hostname=False)
    context = kafka_client_kwargs(settings)["ssl_context"]
    assert not context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert isinstance(faust_credentials(settings), SSLCredentials)


def test_a_client_certificate_needs_its_key() -> None:
    with pytest.raises(ValueError, match="CERTFILE and NEWSWATCH_KAFKA_SSL_KEYFILE go together"):
        CommonSettings(kafka_security_protocol="SSL", kafka_ssl_certfile="/c.pem")
