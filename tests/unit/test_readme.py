"""The README opens with the two commands; the configuration page lists every setting."""

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from newswatch.alerter.settings import AlerterSettings
from newswatch.classifier.settings import ClassifierSettings
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.settings import CommonSettings

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text("utf-8")
CONFIGURATION = (ROOT / "docs/operations/configuration.md").read_text("utf-8")


def environment_names(settings: type[BaseSettings]) -> list[str]:
    prefix = settings.model_config.get("env_prefix", "")
    return [
        field.validation_alias
        if isinstance(field.validation_alias, str)
        else f"{prefix}{name}".upper()
        for name, field in settings.model_fields.items()
    ]


@pytest.mark.parametrize(
    "settings", [CommonSettings, FetcherSettings, ClassifierSettings, AlerterSettings]
)
def test_every_environment_variable_is_in_the_configuration_table(settings):
    missing = [name for name in environment_names(settings) if f"| `{name}` |" not in CONFIGURATION]
    assert missing == []


def test_the_two_commands_open_the_readme():
    opening = README.split("\n## ", 1)[0]
    assert "make run" in opening and "make test" in opening
