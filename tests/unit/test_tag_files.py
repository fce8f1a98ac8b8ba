"""Tags are data: operators add or tune them in YAML, and broken files are refused by line."""

from pathlib import Path

import pytest

from newswatch.classifier.classify import Classifier
from newswatch.classifier.rules import TagFileError, load_default_tags, load_tag_dir, parse_tag_file

DATA = Path(__file__).parent.parent / "data" / "tags"


def test_the_four_default_tags_ship_and_load():
    assert [d.tag for d in load_default_tags()] == [
        "arms_approval",
        "diplomatic_protest",
        "sanctions",
        "strike",
    ]


def test_an_operator_tag_works_without_code(tmp_path):
    classifier = Classifier([*load_default_tags(), *load_tag_dir(DATA)])
    result = classifier.classify(
        "Ceasefire takes effect in Gaza", "Both sides agreed to the truce."
    )
    assert [h.tag for h in result.tags] == ["ceasefire"]
    assert classifier.classify("UN calls for ceasefire in Sudan").tags == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tag: Bad-Name\nrules: []\n", "line 1: 'tag' must be a name"),
        ("tag: ok_tag\nrules: []\n", "line 1: 'rules' must be a non-empty list"),
        (
            "tag: ok_tag\nrules:\n  - id: r1\n    any: ['(unclosed']\n",
            "line 3: bad pattern in 'any'",
        ),
        (
            "tag: ok_tag\nrules:\n  - id: r1\n    any: ['x']\n    weight: 2\n",
            "line 3: 'weight' must be a number from 0 to 1",
        ),
        (
            "tag: ok_tag\nrules:\n  - id: r1\n    any: ['x']\n    colour: red\n",
            "line 3: unknown key(s) colour",
        ),
        (
            "tag: ok_tag\nrules:\n  - id: r1\n    any: ['x']\n  - id: r1\n    any: ['y']\n",
            "used twice: r1",
        ),
        (
            "tag: ok_tag\nrules:\n  - id: r1\n    any: ['x']\nvetoes:\n  - id: v1\n    any: ['y']\n    near: -3\n",
            "line 6: 'near'",
        ),
        ("tag: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_broken_tag_file_is_refused_naming_the_line(text, message):
    with pytest.raises(TagFileError) as error:
        parse_tag_file(text, "tags/ok_tag.yaml")
    assert str(error.value).startswith("tags/ok_tag.yaml") and message in str(error.value)


def test_a_tag_defined_twice_is_refused(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("tag: twice\nrules:\n  - id: r\n    any: ['x']\n")
    with pytest.raises(TagFileError, match="more than one file: twice"):
        load_tag_dir(tmp_path)


def test_the_classifier_version_changes_when_the_rules_do():
    base = Classifier(load_default_tags())
    extended = Classifier([*load_default_tags(), *load_tag_dir(DATA)])
    assert base.version != extended.version
    assert base.version == Classifier.from_folder(None, with_model=False).version
    # ... and with the model: the rules' part stays, the model's version is added.
    assert Classifier.default().version.startswith(base.version + "+model-")


def test_tag_names_come_from_the_tag_files_without_compiling_rules():
    from newswatch.classifier.rules import tag_names

    assert tag_names() == {"strike", "diplomatic_protest", "sanctions", "arms_approval"}
    assert "ceasefire" in tag_names(Path(__file__).parents[1] / "data" / "tags")


def test_the_classifier_version_is_the_same_in_every_process():
    import subprocess
    import sys

    code = (
        "from newswatch.classifier.classify import Classifier; print(Classifier.default().version)"
    )
    versions = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(versions) == 1, versions
