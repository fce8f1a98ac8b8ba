"""`newswatch train` and `newswatch eval` as a user runs them: files in, a model and a report out."""

import json
from pathlib import Path

from newswatch.classifier.model import TagModel
from newswatch.cli import main

TAGS_DIR = Path(__file__).parents[1] / "data" / "tags"


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def items(prefix: str, n: int, title: str, tags: list[str]) -> list[dict]:
    return [
        {
            "id": f"{prefix}{i}",
            "title": f"{title} {i}",
            "summary": f"{title}, day {i}.",
            "tags": tags,
        }
        for i in range(n)
    ]


def test_train_writes_a_model_calibrated_on_the_given_items(tmp_path, capsys):
    folder = tmp_path / "tags"
    folder.mkdir()
    (folder / "ceasefire.yaml").write_text((TAGS_DIR / "ceasefire.yaml").read_text("utf-8"))
    train = write(
        tmp_path / "train.jsonl",
        items("p", 12, "Truce agreed between the parties", ["ceasefire"])
        + items("n", 20, "Markets close higher", []),
    )
    calibrate = write(
        tmp_path / "cal.jsonl",
        items("cp", 3, "Truce agreed in the north", ["ceasefire"])
        + items("cn", 3, "Bakery wins prize", []),
    )
    out = tmp_path / "model.json.gz"
    code = main(
        [
            "train",
            "--tags-dir",
            str(folder),
            "--data",
            str(train),
            "--calibrate",
            str(calibrate),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = capsys.readouterr().out
    assert "trained on 32 examples" in report
    assert "out-of-fold training items and 6 calibration items" in report
    assert TagModel.load(out).tags == ("ceasefire",)


def test_train_names_a_missing_file(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_eval_reports_each_split_and_leaves_ambiguous_items_out(tmp_path, capsys):
    split = write(
        tmp_path / "split.jsonl",
        [
            {
                "id": "a",
                "title": "Missile strike on Kharkiv kills 12",
                "summary": "",
                "tags": ["strike"],
                "lang": "en",
            },
            {
                "id": "b",
                "title": "Bakers walk out in pay strike",
                "summary": "",
                "tags": [],
                "lang": "en",
            },
            {
                "id": "c",
                "title": "Unclear item",
                "summary": "",
                "tags": ["strike"],
                "ambiguous": True,
            },
        ],
    )
    assert main(["eval", "--data", str(split), "--worst", "0"]) == 0
    out = capsys.readouterr().out
    assert f"== {split} (2 items) ==" in out
    assert "en" in out and "recall" in out


def test_eval_shows_the_frozen_split_as_figures_only(capsys):
    """Listing the frozen split's misses invites tuning on them: figures only, unless asked."""
    assert main(["eval", "--worst", "5"]) == 0
    sections = capsys.readouterr().out.split("\n== ")
    frozen = next(s for s in sections if "frozen" in s.splitlines()[0])
    dev = next(s for s in sections if s.lstrip("= ").startswith("dev"))
    assert "macro-F1" in frozen and "worst misses (" in frozen
    assert not [line for line in frozen.splitlines() if line.startswith("  ")]
    assert [line for line in dev.splitlines() if line.startswith("  dev")], "dev lists its own"
