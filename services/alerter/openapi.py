"""The subscriptions API's OpenAPI document, committed as ``docs/openapi.json``."""

import json
from pathlib import Path

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def render_openapi() -> str:
    from newswatch.alerter.api import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def write_openapi(path: Path = OPENAPI_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_openapi())
    return path
