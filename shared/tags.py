"""The tag names: a contract between the classifier, which produces tags, and the alerter,
which lets subscriptions name only tags someone produces.

Read straight from the tag folder's YAML (each file's ``tag:``), so a service that only needs
the names never imports the classifier and its rule engine.
"""

import importlib.util
import os
from pathlib import Path

import yaml

TAGS_DIR_VARIABLE = "NEWSWATCH_CLASSIFIER_TAGS_DIR"


def builtin_tags_dir() -> Path:
    """The tag folder shipped with the classifier, found without importing it."""
    spec = importlib.util.find_spec("newswatch.classifier")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("newswatch.classifier is not installed: no built-in tags")
    return Path(next(iter(spec.submodule_search_locations))) / "tags"


def configured_tags_dir() -> Path:
    """``NEWSWATCH_CLASSIFIER_TAGS_DIR`` when set (the classifier's setting), else built in."""
    configured = os.environ.get(TAGS_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else builtin_tags_dir()


def tag_names(directory: Path | None = None) -> set[str]:
    """The tags a tag folder (default: the built-in one) defines, without compiling a rule."""
    folder = directory or builtin_tags_dir()
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return {
        str(doc["tag"])
        for doc in (yaml.safe_load(f.read_text("utf-8")) for f in files)
        if isinstance(doc, dict) and "tag" in doc
    }
