import json

from newswatch.classifier.evaluation import Example, Outcome, read_examples, render, score


def outcome(expected: set[str], predicted: set[str], n: int = 0) -> Outcome:
    return Outcome(
        Example(f"e{n}", "t", "", frozenset(expected)),
        frozenset(predicted),
        dict.fromkeys(predicted, 0.9),
    )


def test_precision_recall_f1_and_false_positive_rate_are_computed_per_tag():
    report = score(
        [
            outcome({"strike"}, {"strike"}, 1),
            outcome({"strike"}, set(), 2),
            outcome(set(), {"strike"}, 3),
            outcome(set(), set(), 4),
            outcome({"sanctions"}, {"sanctions"}, 5),
        ],
        ["strike", "sanctions"],
    )
    strike = report.scores["strike"]
    assert (strike.tp, strike.fp, strike.fn, strike.support) == (1, 1, 1, 2)
    assert strike.precision == 0.5 and strike.recall == 0.5 and strike.f1 == 0.5
    assert report.macro_f1 == 0.75
    assert report.untagged_false_positive_rate == 0.5
    assert [o.example.id for o, _ in report.misses] == ["e2"]
    text = render(report)
    assert "macro-F1: 0.750" in text and "e3" in text


def test_reading_a_broken_line_names_it(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": 1, "title": "x", "tags": []}) + "\n{broken\n")
    try:
        read_examples(path)
    except ValueError as exc:
        assert "line 2" in str(exc)
    else:
        raise AssertionError("a broken line must be refused")
