"""Tag names are a shared contract (shared/tags.py): the alerter validates subscriptions
against them without importing the classifier."""

import json
import subprocess
import sys
from pathlib import Path

from newswatch.shared.tags import configured_tags_dir, tag_names

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = {"strike", "diplomatic_protest", "sanctions", "arms_approval"}


def test_the_shared_contract_reads_the_built_in_and_a_configured_tag_folder(monkeypatch):
    assert tag_names() == BUILT_IN
    monkeypatch.setenv("NEWSWATCH_CLASSIFIER_TAGS_DIR", str(ROOT / "tests" / "data" / "tags"))
    assert "ceasefire" in tag_names(configured_tags_dir())
    monkeypatch.delenv("NEWSWATCH_CLASSIFIER_TAGS_DIR")
    assert tag_names(configured_tags_dir()) == BUILT_IN


def test_the_alerter_checks_tags_without_importing_the_classifier():
    # A fresh interpreter: this test process may have imported the classifier already.
    code = (
        "import json, sys\n"
        "import newswatch.alerter.cli, newswatch.alerter.api, newswatch.alerter.main\n"
        "from newswatch.alerter.subscriptions import known_tags\n"
        "tags = sorted(known_tags())\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('newswatch.classifier'))\n"
        "print(json.dumps({'tags': tags, 'classifier_modules': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["tags"]) == BUILT_IN
    assert result["classifier_modules"] == []


def test_no_alerter_module_names_the_classifier():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services" / "alerter").rglob("*.py")
        if "newswatch.classifier" in path.read_text("utf-8")
    ]
    assert offenders == []
