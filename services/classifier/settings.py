from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from newswatch.shared.settings import CommonSettings


class ClassifierSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_CLASSIFIER_", extra="ignore")

    tags_dir: Path | None = Field(
        default=None, description="Folder of tag YAML files; the built-in four when unset."
    )
    group_id: str = Field(
        default="", description="Consumer group; '<prefix>-classifier' when unset."
    )

    @property
    def app_id(self) -> str:
        return self.group_id or f"{self.topic_prefix}-classifier"
