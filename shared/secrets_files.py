"""Settings read from files: ``<VAR>_FILE`` (a path) and a secrets directory.

Container platforms hand secrets over as files (Docker/Compose secrets under
``/run/secrets``, Kubernetes Secret volumes), so that they never appear in the
environment, ``docker inspect`` or ``/proc/<pid>/environ``. Any setting ``VAR`` can
therefore be given as:

* ``VAR_FILE=/path``: the file's content (one trailing newline dropped), or
* a file named ``VAR`` in the folder ``NEWSWATCH_SECRETS_DIR`` (pydantic-settings'
  ``secrets_dir``; file names are matched case-insensitively).

The variable itself wins over a file in the secrets directory; setting both ``VAR``
and ``VAR_FILE`` is an error, since one of them would be silently ignored.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SecretsSettingsSource

SECRETS_DIR_VARIABLE = "NEWSWATCH_SECRETS_DIR"
FILE_SUFFIX = "_FILE"


class SettingFileError(ValueError):
    """A ``*_FILE`` variable that cannot be used; the message names the variable."""


def env_names(name: str, field: FieldInfo, env_prefix: str) -> list[str]:
    """The environment variables a field is read from (upper case)."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return [alias.upper()]
    if isinstance(alias, AliasChoices):
        return [c.upper() for c in alias.choices if isinstance(c, str)]
    return [f"{env_prefix}{name}".upper()]


def file_values(names: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``{name: content}`` for each name whose ``<name>_FILE`` is set in ``environ``."""
    upper = {k.upper(): v for k, v in environ.items()}
    values: dict[str, str] = {}
    for name in names:
        path = upper.get(name + FILE_SUFFIX)
        if not path:
            continue
        if name in upper:
            raise SettingFileError(
                f"{name} and {name}{FILE_SUFFIX} are both set; set only one of them"
            )
        try:
            content = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingFileError(
                f"{name}{FILE_SUFFIX}: cannot read {path}: {exc.strerror or exc}"
            ) from exc
        # Editors and `echo secret > file` end the file with a newline that is not the secret.
        values[name] = content.removesuffix("\n").removesuffix("\r")
    return values


class FileEnvSettingsSource(EnvSettingsSource):
    """The environment source, fed from the files that ``<VAR>_FILE`` variables name."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        prefix = self.settings_cls.model_config.get("env_prefix", "")
        names = [
            env
            for name, field in self.settings_cls.model_fields.items()
            for env in env_names(name, field, prefix)
        ]
        return {k.lower(): v for k, v in file_values(names, os.environ).items()}


def file_sources(
    settings_cls: type[BaseSettings],
) -> tuple[FileEnvSettingsSource, SecretsSettingsSource]:
    """The two file sources, in priority order (after the environment itself)."""
    secrets_dir = os.environ.get(SECRETS_DIR_VARIABLE) or None
    return (
        FileEnvSettingsSource(settings_cls, case_sensitive=False),
        SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir, case_sensitive=False),
    )
