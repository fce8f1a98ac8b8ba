"""JSON Schema files for the wire contracts, generated from the pydantic models.

The files under ``shared/schemas/`` are committed so that other systems can
validate our topics without Python; a test fails when they drift from the models.
"""

import json
from pathlib import Path

from pydantic import BaseModel

from newswatch.shared.contracts import (
    SCHEMA_VERSION,
    ClassifiedItem,
    DeadLetter,
    Delivery,
    Feedback,
    NewsItem,
    Story,
    Subscription,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"
MAJOR = SCHEMA_VERSION.split(".")[0]

CONTRACTS: dict[str, type[BaseModel]] = {
    "news_item": NewsItem,
    "classified_item": ClassifiedItem,
    "delivery": Delivery,
    "dead_letter": DeadLetter,
    "subscription": Subscription,
    "story": Story,
    "feedback": Feedback,
}


def render_schemas() -> dict[str, str]:
    files = {}
    for name, model in CONTRACTS.items():
        schema = model.model_json_schema(mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:newswatch:schema:{name}:v{MAJOR}",
            "x-schema-version": SCHEMA_VERSION,
            **schema,
        }
        files[f"{name}.v{MAJOR}.json"] = json.dumps(schema, indent=2, sort_keys=False) + "\n"
    return files


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in render_schemas().items():
        path = directory / filename
        path.write_text(text, "utf-8")
        written.append(path)
    return written


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of committed schema files that differ from the models (or are missing)."""
    return [
        filename
        for filename, text in render_schemas().items()
        if not (directory / filename).exists() or (directory / filename).read_text("utf-8") != text
    ]
