"""The learned model: features, scores, the artifact, training and how it joins the rules.

Expected values are worked out by hand from small hand-made weights, never read back
from a trained model.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from newswatch.classifier.classify import Classifier
from newswatch.classifier.combine import combine
from newswatch.classifier.evaluation import Example
from newswatch.classifier.features import LEAD_CHARS, features, words
from newswatch.classifier.framing import frames
from newswatch.classifier.model import TagModel, Thresholds, load_model
from newswatch.classifier.rules import load_tag_dir
from newswatch.classifier.training import train
from newswatch.shared.contracts import Evidence, TagHit

TAGS_DIR = Path(__file__).parents[1] / "data" / "tags"


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def hand_model(gate: tuple[str, ...] = (), strict: bool = False) -> TagModel:
    # Two tags; "barrage" pushes strike, "embargo" pushes sanctions, "threatens" pulls both.
    # ``strict``: a confirm floor of 0.5, so the model overrules rule hits it doubts.
    vocabulary = {"w:barrage": 0, "p:embar": 1, "w:threatens": 2, "t:barrage": 3}
    weights = np.array([[3.0, 0.0], [0.0, 4.0], [-2.0, -2.0], [1.0, 0.0]])
    confirm = (0.5, 0.5) if strict else (0.1, 0.05)
    thresholds = {
        "strike": Thresholds(0.9, confirm[0]),
        "sanctions": Thresholds(0.8, confirm[1]),
    }
    return TagModel(
        ["strike", "sanctions"], vocabulary, weights, [-2.0, -2.0], thresholds, gate=gate
    )


def one_feature_model(tag: str, feature: str, weight: float, thresholds: Thresholds) -> TagModel:
    """One tag, one weighted feature, intercept -2: p = sigmoid(weight - 2) when it is present."""
    return TagModel([tag], {feature: 0}, np.array([[weight]]), [-2.0], {tag: thresholds})


def test_features_are_words_title_words_stems_and_pairs():
    found = features("Missile strike kills 12", "Officials said the barrage hit Odesa.")
    assert {"t:missile", "w:missile", "p:missi", "b:missile_strike", "w:#", "b:kills_#"} <= found
    assert {"w:barrage", "p:barra", "b:the_barrage"} <= found
    assert "t:barrage" not in found  # a summary word is not a title word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Vowel signs (Mc, Mn) are combining marks, which Python's \w leaves out.
        ("রুশ হামলায় নিহত ১২", ["রুশ", "হামলায়", "নিহত", "#"]),  # Bengali: 12 killed in Russian attack
        ("हवाई हमले में 12 की मौत", ["हवाई", "हमले", "में", "#", "की", "मौत"]),  # Hindi, the same
        ("การโจมตีทางอากาศ", ["การโจมตีทางอากาศ"]),  # Thai writes no spaces: one word
        ("cafe\u0301 e\u0301tait", ["cafe\u0301", "e\u0301tait"]),  # accents written apart
        ("ракетний удар", ["ракетний", "удар"]),
    ],
)
def test_a_word_keeps_its_combining_marks(text, expected):
    assert words(text) == expected


def test_framing_cues_are_features_in_every_language():
    assert {"f:threat"} <= features("Moscow threatens retaliation", "")
    assert {"f:threat", "g:plan"} <= features("Kyiv: Moskau droht", "Die EU erwägt neue Schritte.")
    assert "f:threat" in features("Москва угрожает ответом", "")
    assert "g:opinion" in features("Headline", "Analysis: what a strike would mean")


def test_a_whole_word_cue_is_not_the_start_of_a_longer_word():
    # "how$", "insta$", "test$": a strike report's howitzers, installations and witnesses
    # (Spanish "testigos") frame nothing; the words themselves still do.
    assert frames("howitzers hit the plant; however, testigos saw instalaciones burn") == set()
    assert frames("how the strike unfolded") == {"opinion"}
    assert frames("insta a rusia") == {"call"}
    assert frames("missile test over the sea") == {"test"}
    # German "plant" (plans) only in phrases English "plant" does not start.
    assert frames("power plant diesel generators hit") == set()
    assert frames("die regierung plant den ausbau") == {"plan"}


def test_features_read_only_the_lead_of_a_long_summary():
    found = features("Headline", "word " * 200 + "barrage")
    assert "w:barrage" not in found


def test_probabilities_are_the_logistic_of_the_summed_weights():
    model = hand_model()
    p = model.probabilities("Barrage on the port", "")
    assert p["strike"] == pytest.approx(sigmoid(-2.0 + 3.0 + 1.0))  # w: and t: barrage
    assert p["sanctions"] == pytest.approx(sigmoid(-2.0))
    p = model.probabilities("Minister threatens embargoes", "")
    assert p["sanctions"] == pytest.approx(sigmoid(-2.0 + 4.0 - 2.0))


def test_the_gate_skips_items_without_its_literals():
    model = hand_model(gate=("barrage", "embar"))
    assert model.probabilities("Cup final tonight", "")["strike"] == pytest.approx(sigmoid(-2.0))
    assert model.probabilities("Barrage on the port", "")["strike"] == pytest.approx(sigmoid(2.0))


def test_the_artifact_round_trips_byte_for_byte(tmp_path):
    model = hand_model(gate=("barrage",))
    model.save(tmp_path / "a.json.gz")
    again = TagModel.load(tmp_path / "a.json.gz")
    again.save(tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert again.version == model.version
    assert again.probabilities("Barrage", "") == model.probabilities("Barrage", "")


def test_the_version_changes_with_the_weights():
    other = TagModel(
        ["strike"], {"w:barrage": 0}, np.array([[2.5]]), [-1.0], {"strike": Thresholds(0.9, 0.1)}
    )
    assert other.version != hand_model().version


def test_a_broken_model_file_is_named(tmp_path):
    (tmp_path / "model.json.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match=r"model\.json\.gz"):
        load_model(tmp_path)


@pytest.mark.parametrize(
    "body",
    [
        b'["a list"]',
        b'"a string"',
        # "w:barrage" has two weights for the model's one tag.
        b'{"tags": ["strike"], "intercepts": [0], "thresholds": {}, '
        b'"vocabulary": {"w:barrage": [1.0, 2.0]}}',
    ],
)
def test_a_model_file_of_the_wrong_shape_is_named(tmp_path, body):
    import gzip

    (tmp_path / "model.json.gz").write_bytes(gzip.compress(body))
    with pytest.raises(ValueError, match=r"model\.json\.gz"):
        load_model(tmp_path)


def rule_hit(tag: str, confidence: float = 0.7) -> TagHit:
    span = Evidence(field="title", start=0, end=7, text="Barrage", rule=f"{tag}/r")
    return TagHit(tag=tag, confidence=confidence, evidence=[span])


def test_the_model_confirms_overrules_or_tags_alone_with_its_evidence():
    model = hand_model()
    title, summary = "Talks resume", "Officials said a barrage hit the port. Nobody was hurt."
    # strike: p = sigmoid(1) = 0.73 < alone 0.9: no rule, no tag.
    assert combine(["strike", "sanctions"], [], model, title, summary) == []
    # With a rule hit the model (0.73 >= confirm 0.1) confirms it, at the higher confidence.
    confirmed = combine(["strike"], [rule_hit("strike")], model, title, summary)
    assert confirmed[0].confidence == pytest.approx(round(sigmoid(1.0), 3))
    # sanctions: "threatens embargo" gives sigmoid(0) = 0.5 >= confirm 0.05 but a rule hit
    # on "Cup embargo row" with p = sigmoid(-2) = 0.12 stands too; below confirm it goes.
    vetoing = hand_model(strict=True)
    assert combine(["sanctions"], [rule_hit("sanctions")], vetoing, "Cup final", "") == []
    # Alone: "Barrage" in the title: sigmoid(2) = 0.88 < 0.9; twice the weight in a summary
    # sentence and the title: the evidence is the summary sentence that drives it.
    alone = combine(["strike"], [], model, "Barrage on Odesa", "A barrage hit the port.")
    assert alone == []
    sure = one_feature_model("strike", "w:barrage", 5.0, Thresholds(0.9, 0.1))
    hits = combine(["strike"], [], sure, "Talks resume", "Nobody was hurt. A barrage hit the port.")
    (evidence,) = hits[0].evidence
    assert (evidence.field, evidence.text, evidence.rule) == (
        "summary",
        "A barrage hit the port.",
        "strike/model",
    )
    assert evidence.terms == ["barrage"]
    assert hits[0].confidence == pytest.approx(round(sigmoid(3.0), 3))


def test_a_tag_the_model_does_not_know_keeps_the_rules_verdict():
    hits = combine(["ceasefire"], [rule_hit("ceasefire")], hand_model(), "Barrage", "")
    assert [h.tag for h in hits] == ["ceasefire"]


def labelled(n: int, tag: str, text: str, start: int = 0) -> list[Example]:
    return [
        Example(f"{tag}{start + i}", f"{text} {i}", f"{text} report number {i}.", frozenset({tag}))
        for i in range(n)
    ]


def small_set() -> list[Example]:
    positives = labelled(12, "strike", "Shelling hits town") + labelled(
        12, "sanctions", "Bloc adopts embargo"
    )
    negatives = [
        Example(f"n{i}", f"Market closes higher {i}", "Shares rose in calm trade.", frozenset())
        for i in range(30)
    ]
    return positives + negatives


def test_training_is_deterministic_and_tags_with_few_examples_stay_rules_only(tmp_path):
    examples = small_set() + labelled(3, "arms_approval", "Cabinet clears sale")
    verdicts = [{}] * len(examples)
    tags = ["strike", "sanctions", "arms_approval"]
    first = train(examples, tags, verdicts)
    second = train(list(reversed(examples)), tags, verdicts)
    first.model.save(tmp_path / "1.json.gz")
    second.model.save(tmp_path / "2.json.gz")
    assert (tmp_path / "1.json.gz").read_bytes() == (tmp_path / "2.json.gz").read_bytes()
    assert first.model.tags == ("strike", "sanctions")
    assert first.skipped_tags == ["arms_approval"]
    shelling = first.model.probabilities("Shelling hits town", "")
    market = first.model.probabilities("Market closes higher", "")
    assert shelling["strike"] > shelling["sanctions"]
    assert shelling["strike"] > market["strike"]


def test_an_operator_tag_gains_a_model_when_examples_are_supplied(tmp_path):
    folder = tmp_path / "tags"
    folder.mkdir()
    (folder / "ceasefire.yaml").write_text((TAGS_DIR / "ceasefire.yaml").read_text("utf-8"))
    assert Classifier.from_folder(folder).model is None  # rules only, as before
    examples = labelled(12, "ceasefire", "Truce agreed between the parties") + small_set()[24:]
    report = train(examples, ["ceasefire"], [{}] * len(examples))
    report.model.save(folder / "model.json.gz")
    classifier = Classifier.from_folder(folder)
    assert classifier.model is not None and classifier.model.tags == ("ceasefire",)
    assert "+model-" in classifier.version
    assert classifier.tags == [d.tag for d in load_tag_dir(folder)]


def test_the_fast_path_finds_exactly_the_features_training_saw():
    vocabulary = {
        name: i
        for i, name in enumerate(
            [
                "w:barrage",
                "t:shelling",
                "p:shell",
                "b:air_strike",
                "w:#",
                "b:kills_#",
                "w:port",
                "f:threat",
                "g:plan",
            ]
        )
    }
    model = TagModel(
        ["strike"], vocabulary, np.ones((9, 1)), [0.0], {"strike": Thresholds(0.9, 0.1)}
    )
    for title, summary in [
        ("Shelling of Kherson kills 3", "An air strike and a barrage hit the port."),
        ("", "Shelling. " * 100 + "barrage"),
        ("Air strike", ""),
        ("Minister threatens air strike", "The army plans to respond."),
    ]:
        expected = sorted(vocabulary[f] for f in features(title, summary) if f in vocabulary)
        rows = model._rows_of(title.lower(), summary[:LEAD_CHARS].lower())
        assert sorted(rows) == expected
        # And the probability, by whichever path runs here, sums exactly those weights.
        assert model.probabilities(title, summary)["strike"] == pytest.approx(
            1 / (1 + math.exp(-len(expected)))
        )


def test_training_with_no_tag_to_model_leaves_every_tag_to_the_rules():
    examples = labelled(3, "strike", "Shelling hits town") + small_set()[24:]
    report = train(examples, ["strike"], [{}] * len(examples))
    assert report.model.tags == () and report.skipped_tags == ["strike"]
    assert report.model.gate == ()


def test_a_test_frames_a_strike_report_but_not_the_sanctions_that_answer_it():
    from newswatch.classifier.combine import framed
    from newswatch.classifier.framing import not_done

    assert "test" in not_done("strike") and "test" not in not_done("sanctions")
    summary = "The council adopted new sanctions after the nuclear test."
    span = Evidence(field="summary", start=10, end=40, text=summary[10:40], rule="x/y")
    assert framed(TagHit(tag="strike", confidence=0.9, evidence=[span]), "Council acts", summary)
    assert not framed(
        TagHit(tag="sanctions", confidence=0.9, evidence=[span]), "Council acts", summary
    )


def test_only_the_headline_clause_a_rule_matched_in_frames_its_hit():
    from newswatch.classifier.combine import framed

    def hit_at(title: str, words: str) -> TagHit:
        start = title.index(words)
        span = Evidence(field="title", start=start, end=start + len(words), text=words, rule="x")
        return TagHit(tag="strike", confidence=0.9, evidence=[span])

    live = "Russia hits mines in Donetsk, Zelensky could meet Orban. Day 667. Live"
    assert "plan" in frames(live.lower())  # the headline as a whole is framed
    assert not framed(hit_at(live, "hits mines"), live, "")
    title = "Russia could hit Kyiv, Zelensky says"
    assert framed(hit_at(title, "hit Kyiv"), title, "")
    # An initial's period parts nothing; a summary hit is framed by the whole headline.
    title = "Trump threatens U.S. strikes on Iran"
    assert framed(hit_at(title, "strikes on Iran"), title, "")
    summary = "Warplanes struck the port."
    span = Evidence(field="summary", start=10, end=16, text="struck", rule="x")
    hit = TagHit(tag="strike", confidence=0.9, evidence=[span])
    assert framed(hit, "Russia hits the port, could strike again", summary)


def test_a_framed_rule_hit_needs_the_models_framed_floor():
    # "threatens" frames the title: the hit needs p >= framed (0.5), not confirm (0.01).
    model = one_feature_model("sanctions", "p:embar", 1.0, Thresholds(0.9, 0.01, 0.5))
    hit = rule_hit("sanctions")
    assert combine(["sanctions"], [hit], model, "Bloc adopts embargo", "")  # sigmoid(-1) = 0.27
    assert combine(["sanctions"], [hit], model, "Minister threatens embargo", "") == []


def test_an_item_holding_a_veto_needs_the_models_veto_bar_to_be_tagged_alone():
    # p = sigmoid(3) = 0.95: above alone (0.5), below the veto bar (0.97).
    model = one_feature_model("strike", "w:barrage", 5.0, Thresholds(0.5, 0.1, alone_vetoed=0.97))
    title, summary = "Barrage at dawn", "A barrage hit the port."
    assert combine(["strike"], [], model, title, summary, vetoed=lambda tag: False)
    assert combine(["strike"], [], model, title, summary, vetoed=lambda tag: True) == []
    # A model without the bar (older artifacts): the veto changes nothing.
    plain = one_feature_model("strike", "w:barrage", 5.0, Thresholds(0.5, 0.1))
    assert combine(["strike"], [], plain, title, summary, vetoed=lambda tag: True)


def test_a_tags_vetoes_are_found_anywhere_in_the_text():
    # tests/data/tags/ceasefire.yaml vetoes "urg\w*" (a call for a ceasefire is none).
    (ceasefire,) = load_tag_dir(TAGS_DIR)
    assert ceasefire.vetoed("Truce holds in the north. Envoys urge calm in the south", None)
    assert not ceasefire.vetoed("Truce holds in the north.", None)


def test_the_veto_bar_is_calibrated_only_where_it_pays():
    from newswatch.classifier.calibration import calibrate

    # Four vetoed negatives score 0.6, two clean positives 0.6 and one clean negative 0.1:
    # the plain bar at 0.6 tags all six (F low); a veto bar above 0.6 keeps the positives.
    p = np.array([0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.1])
    truth = np.array([0, 0, 0, 0, 1, 1, 0], dtype=bool)
    veto = np.array([1, 1, 1, 1, 0, 0, 0], dtype=bool)
    no = np.zeros(7, dtype=bool)
    thresholds, scores = calibrate(p, no, no, no, truth, veto)
    assert thresholds.alone <= 0.6 < thresholds.alone_vetoed
    assert (scores["precision"], scores["recall"]) == (1.0, 1.0)
    # Without vetoed items the bar stays unset.
    unset, _ = calibrate(p, no, no, no, truth, no)
    assert unset.alone_vetoed == -1.0


def test_on_a_text_without_a_headline_the_model_adds_tags_but_overrules_no_rule():
    # sanctions: no weighted word, p = sigmoid(-2) = 0.12 < confirm 0.5: with a headline the
    # model overrules the rule's hit; on a bare text (no headline to read) it does not.
    vetoing = hand_model(strict=True)
    hit = summary_hit("sanctions", "Officials met the bloc on Monday.")
    assert combine(["sanctions"], [hit], vetoing, "Cup final", hit.evidence[0].text) == []
    kept = combine(["sanctions"], [hit], vetoing, "", hit.evidence[0].text)
    assert [h.tag for h in kept] == ["sanctions"]


def summary_hit(tag: str, sentence: str) -> TagHit:
    span = Evidence(field="summary", start=0, end=len(sentence), text=sentence, rule=f"{tag}/r")
    return TagHit(tag=tag, confidence=0.7, evidence=[span])


def test_a_rule_hit_outside_the_headline_needs_the_models_body_floor():
    # p = sigmoid(1 - 2) = 0.27: above confirm (0.02), below the body floor (0.3).
    model = one_feature_model("sanctions", "p:embar", 1.0, Thresholds(0.9, 0.02, body=0.3))
    sentence = "The bloc's embargo of last year still bites."
    in_title = rule_hit("sanctions")  # evidence in the title
    assert combine(["sanctions"], [in_title], model, "Bloc adopts embargo", sentence)
    in_body = summary_hit("sanctions", sentence)
    assert combine(["sanctions"], [in_body], model, "Port traffic falls", sentence) == []
    # Older artifacts have no body floor: there the hit needs only confirm.
    older = one_feature_model("sanctions", "p:embar", 1.0, Thresholds(0.9, 0.02))
    assert combine(["sanctions"], [in_body], older, "Port traffic falls", sentence)


def test_the_body_floor_is_calibrated_only_where_it_pays():
    from newswatch.classifier.calibration import calibrate

    # Rule hits: three in the body at p 0.08 are wrong, two in the title at 0.08 right, and
    # one in the body at 0.5 right. Confirm (at most 0.02) keeps all six; a body floor above
    # 0.08 and at most 0.5 keeps exactly the right three.
    p = np.array([0.08, 0.08, 0.08, 0.08, 0.08, 0.5])
    truth = np.array([0, 0, 0, 1, 1, 1], dtype=bool)
    rules = np.ones(6, dtype=bool)
    body = np.array([1, 1, 1, 0, 0, 1], dtype=bool)
    no = np.zeros(6, dtype=bool)
    thresholds, scores = calibrate(p, rules, no, no, truth, None, body)
    assert thresholds.confirm <= 0.08 < thresholds.body <= 0.5
    assert (scores["precision"], scores["recall"]) == (1.0, 1.0)
    # Where the body's hits are as right as the title's, no floor of their own is set.
    unset, _ = calibrate(p, rules, no, no, np.ones(6, dtype=bool), None, body)
    assert unset.body == -1.0


def test_among_equally_good_thresholds_the_calibration_set_decides():
    # 400 written positives at p 0.9, 600 negatives at 0.05 and one at 0.29; one real-news
    # positive at 0.28. A bar above 0.29 misses the real item, one below 0.28 lets the
    # written negative through: on all 1,002 items the two differ by less than the plateau.
    p = np.array([0.9] * 400 + [0.05] * 600 + [0.29, 0.28])
    truth = np.array([True] * 400 + [False] * 601 + [True])
    real = np.arange(len(p)) == len(p) - 1
    no = np.zeros(len(p), dtype=bool)
    from newswatch.classifier.calibration import calibrate

    plain, _ = calibrate(p, no, no, no, truth)
    assert plain.alone > 0.29  # precision first: F-beta's own optimum
    chosen, scores = calibrate(p, no, no, no, truth, calibration=real)
    assert chosen.alone <= 0.28  # the real item, within the plateau
    assert scores["recall"] == 1.0
