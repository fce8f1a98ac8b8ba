"""Every setting, secrets first, can come from ``<VAR>_FILE`` or ``NEWSWATCH_SECRETS_DIR``."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from newswatch.alerter.settings import AlerterSettings
from newswatch.classifier.settings import ClassifierSettings
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.secrets_files import SettingFileError
from newswatch.shared.settings import CommonSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test run's own Kafka/Redis variables must not mask what a test sets.
    for name in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "NEWSWATCH_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_secret_from_file_drops_the_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "NEWSWATCH_ALERTER_SMTP_PASSWORD_FILE", _write(tmp_path / "smtp", "s3cret pass\n")
    )
    monkeypatch.setenv(
        "NEWSWATCH_ALERTER_FEEDBACK_SECRET_FILE", _write(tmp_path / "fb", "feedback-key")
    )
    settings = AlerterSettings()
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "s3cret pass"
    assert settings.feedback_secret is not None
    assert settings.feedback_secret.get_secret_value() == "feedback-key"


def test_common_settings_with_an_alias_read_from_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "REDIS_URL_FILE", _write(tmp_path / "r", "redis://:pw@redis.internal:6379/2\n")
    )
    monkeypatch.setenv("NEWSWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("NEWSWATCH_KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("NEWSWATCH_KAFKA_SASL_PASSWORD_FILE", _write(tmp_path / "k", "kafka-pw\n"))
    for cls in (FetcherSettings, ClassifierSettings, AlerterSettings):
        settings = cls()
        assert settings.redis_url == "redis://:pw@redis.internal:6379/2"
        assert settings.kafka_sasl_password is not None
        assert settings.kafka_sasl_password.get_secret_value() == "kafka-pw"


def test_secrets_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As a Kubernetes Secret volume or /run/secrets holds them: one file per variable.
    _write(tmp_path / "NEWSWATCH_ALERTER_SMTP_PASSWORD", "from-dir\n")
    _write(tmp_path / "REDIS_URL", "redis://:dirpw@r:6379/0")
    monkeypatch.setenv("NEWSWATCH_SECRETS_DIR", str(tmp_path))
    settings = AlerterSettings()
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "from-dir"
    assert settings.redis_url == "redis://:dirpw@r:6379/0"


def test_environment_wins_over_the_secrets_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "REDIS_URL", "redis://from-dir:6379/0")
    monkeypatch.setenv("NEWSWATCH_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://from-env:6379/0")
    assert CommonSettings().redis_url == "redis://from-env:6379/0"


def test_file_variable_wins_over_the_secrets_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    _write(secrets / "REDIS_URL", "redis://from-dir:6379/0")
    monkeypatch.setenv("NEWSWATCH_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("REDIS_URL_FILE", _write(tmp_path / "r", "redis://from-file:6379/0"))
    assert CommonSettings().redis_url == "redis://from-file:6379/0"


def test_variable_and_its_file_both_set_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_ALERTER_SMTP_PASSWORD", "inline")
    monkeypatch.setenv("NEWSWATCH_ALERTER_SMTP_PASSWORD_FILE", _write(tmp_path / "p", "file"))
    with pytest.raises(
        SettingFileError,
        match="NEWSWATCH_ALERTER_SMTP_PASSWORD and NEWSWATCH_ALERTER_SMTP_PASSWORD_FILE are both set",
    ):
        AlerterSettings()


def test_unreadable_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSWATCH_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingFileError, match="NEWSWATCH_KAFKA_SASL_PASSWORD_FILE: cannot read"):
        CommonSettings()


def test_unrelated_file_variables_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only variables newswatch reads are looked up; another program's *_FILE is left alone.
    monkeypatch.setenv("SOME_OTHER_TOOL_FILE", "/nonexistent/path")
    assert CommonSettings().redis_url == "redis://127.0.0.1:16379/0"


def test_secret_is_not_shown_in_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_ALERTER_SMTP_PASSWORD_FILE", _write(tmp_path / "p", "hunter2"))
    assert "hunter2" not in repr(AlerterSettings())


def test_sasl_without_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(ValidationError, match="needs NEWSWATCH_KAFKA_SASL_USERNAME"):
        CommonSettings()
