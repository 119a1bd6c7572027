"""The sweep report's numbers and sentences on synthetic per-frame error tables: the
sentences must follow from the numbers (better, worse, indistinguishable, degenerate,
one seed, confounded)."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.pose.metrics import metric
from simgen.sweep.analysis import (
    ArmData,
    analyze,
    animal_scale,
    distances,
    trivial_prediction,
)

N, K = 40, 4


def _labels(rng) -> np.ndarray:
    """(N, K, 3) labels of an animal ~100 px long moving around a 640x480 frame."""
    centre = rng.uniform([150, 120], [490, 360], size=(N, 1, 2))
    offsets = np.array([[50, 0], [30, -12], [30, 12], [-50, 0]], float)  # snout, ears, tail base
    xy = centre + offsets[None]
    return np.concatenate([xy, np.full((N, K, 1), 2.0)], axis=-1)


def _arm(name, gt, err_px, rng, seeds=(0, 1, 2), **kw) -> ArmData:
    """Predictions off the labels by a random direction with |error| ~ err_px (per seed a bit different)."""
    preds = []
    for s in seeds:
        r = np.abs(rng.normal(err_px, 0.25 * err_px, size=(N, K))) * (1 + 0.03 * s)
        ang = rng.uniform(0, 2 * np.pi, size=(N, K))
        preds.append(gt[..., :2] + np.stack([r * np.cos(ang), r * np.sin(ang)], axis=-1))
    pred = np.stack(preds)
    return ArmData(name, distances(pred, gt), list(seeds), pred=pred, train_frames=[100] * len(seeds),
                   steps=[1500] * len(seeds), frames=100, cfg_steps=1500, **kw)


@pytest.fixture
def gt():
    return _labels(np.random.default_rng(1))


def test_better_worse_and_indistinguishable(gt):
    rng = np.random.default_rng(2)
    arms = [_arm("baseline", gt, 10, rng), _arm("good", gt, 6, rng), _arm("bad", gt, 16, rng),
            _arm("same", gt, 10, rng)]
    a = analyze(arms, gt)
    assert a.lead == "ranking" and not a.warnings
    good, bad, same = a.arm("good"), a.arm("bad"), a.arm("same")
    assert good.verdict == "better" and good.diff.hi < 0 and good.diff.lo < good.diff.value < good.diff.hi
    assert bad.verdict == "worse" and bad.diff.lo > 0
    assert same.verdict == "indistinguishable" and same.diff.lo < 0 < same.diff.hi
    assert good.sentence.startswith("good is better than the baseline: mean error")
    assert bad.sentence.startswith("bad is worse than the baseline")
    assert same.sentence.startswith("same is not distinguishable from the baseline at this size")
    assert "95% interval" in good.sentence and "one seed" not in good.sentence
    assert a.headline.startswith("Better than the baseline: good; worse: bad; not distinguishable at this size: same")
    # point estimates: the mean over seeds of the metric over all frames
    assert a.arm("baseline").values["mean_error"] == pytest.approx(np.mean([metric(d, "mean_error")
                                                                           for d in arms[0].dist]))
    assert 80 < a.scale_px < 120  # snout to tail base is 100 px
    # reproducible: a fixed rng seed
    b = analyze(arms, gt)
    assert b.arm("good").diff == good.diff


def test_the_numbers_come_before_the_words(gt):
    """``compare`` gives the verdicts, flags and lead with no sentence; ``words`` adds them."""
    from simgen.sweep.analysis import compare, words

    rng = np.random.default_rng(2)
    gone = ArmData("gone", np.zeros((0, N, K)), [], failed=3)  # every seed failed
    arms = [_arm("baseline", gt, 10, rng), _arm("good", gt, 6, rng), gone]
    c = compare(arms, gt)
    assert [r.verdict for r in c.arms] == ["baseline", "better", "not compared"]
    assert c.with_verdict("better") == ["good"] and c.failed == {"gone": 3}
    assert c.lead == "ranking" and c.baseline_usable and not c.degenerate
    assert all(r.sentence == "" for r in c.arms)
    a = words(c)
    assert a.arm("good").sentence and a.headline == a.answer and "good" in a.answer
    assert a.warnings == ["gone: 3 seed(s) failed and are missing from its numbers."]
    assert analyze(arms, gt).headline == a.headline


def test_pck_verdict_has_the_right_sign(gt):
    rng = np.random.default_rng(3)
    a = analyze([_arm("baseline", gt, 10, rng), _arm("good", gt, 4, rng)], gt, metric_name="pck5")
    good = a.arm("good")
    assert good.verdict == "better" and good.diff.lo > 0  # more keypoints within 5 px
    assert "points" in good.sentence and "PCK@5" in good.sentence


def test_one_seed_says_no_spread(gt):
    rng = np.random.default_rng(4)
    a = analyze([_arm("baseline", gt, 10, rng, seeds=(0,)), _arm("good", gt, 5, rng, seeds=(0,))], gt)
    assert all("one seed: no spread" in r.sentence for r in a.arms)
    assert "± 0.00" not in " ".join(r.sentence for r in a.arms)
    assert "One seed: no spread" in a.headline
    # the interval is over test frames only, so it still has width
    assert a.arm("baseline").interval.hi > a.arm("baseline").interval.lo


def test_degenerate_models_lead_with_a_warning_and_no_ranking(gt):
    arms = []
    for name, corner in (("baseline", (5, 5)), ("styled", (630, 470)), ("fur", (5, 470))):
        pred = np.broadcast_to(np.array(corner, float), (1, N, K, 2)).copy()
        arms.append(ArmData(name, distances(pred, gt), [0], pred=pred, train_frames=[20], steps=[20], frames=20,
                            cfg_steps=20))
    sizes = np.tile([640, 480], (N, 1))
    a = analyze(arms, gt, trivial_pred=trivial_prediction(np.full((K, 2), 0.5), sizes))
    assert a.lead == "warning"
    assert a.headline.startswith("No answer: every model is degenerate")
    assert all(r.verdict in ("baseline", "not compared") and r.diff is None for r in a.arms)
    for r in a.arms:
        text = " ".join(r.flags)
        assert "barely move" in text and "one spot" in text and "off the animal" in text
        assert "PCK@10 near zero" in text and "no better than always predicting the mean" in text
    assert a.arm("styled").sentence.startswith("styled: not compared, the model is degenerate")
    assert "than the baseline:" not in a.headline  # no ranking
    assert a.answer == ""
    assert len(a.warnings) == 3
    # the trivial baseline and the scale are on the page
    assert a.trivial["mean_error"] < a.arm("baseline").values["mean_error"]
    assert any("For scale: the animal is about" in n for n in a.notes)


def test_one_degenerate_arm_is_left_out(gt):
    rng = np.random.default_rng(6)
    pred = np.full((3, N, K, 2), 300.0)
    arms = [_arm("baseline", gt, 10, rng), _arm("good", gt, 5, rng),
            ArmData("broken", distances(pred, gt), [0, 1, 2], pred=pred, train_frames=[100] * 3,
                    steps=[1500] * 3, frames=100, cfg_steps=1500)]
    a = analyze(arms, gt)
    assert a.lead == "warning" and a.headline.startswith("Partial answer: 1 of 3 models are degenerate (broken)")
    assert a.arm("good").verdict == "better" and a.arm("broken").verdict == "not compared"
    assert a.answer.startswith("Better than the baseline: good (on mean error")  # the rest is still ranked


def test_confounded_frame_counts_and_steps(gt):
    rng = np.random.default_rng(7)
    base = _arm("baseline", gt, 10, rng)
    styled = _arm("styled", gt, 6, rng)
    styled.train_frames = [7, 7, 7]  # the style gate dropped 93 of 100
    short = _arm("short", gt, 10, rng)
    short.steps = [300, 300, 300]  # not asked for: cfg_steps is the baseline's
    fewer = _arm("frames_50", gt, 10, rng)
    fewer.frames, fewer.train_frames = 50, [50, 50, 50]  # asked for: the factor itself, not a confound
    a = analyze([base, styled, short, fewer], gt)
    assert a.arm("styled").confounds == [("trained on 7 frames against 100 for the baseline although both rendered "
                                          "100; the style gate dropped 93 of 100")]
    assert "Confounded: trained on 7 frames" in a.arm("styled").sentence
    assert a.arm("short").confounds == ["trained for 300 steps against 1500 for the baseline"]
    assert a.arm("frames_50").confounds == []
    assert any(w.startswith("styled is confounded") for w in a.warnings)


def test_metrics_that_disagree_are_named(gt):
    rng = np.random.default_rng(8)
    base = _arm("baseline", gt, 10, rng, seeds=(0,))
    # "spiky": most keypoints very close, a few far off -> better median/PCK, worse mean/RMSE
    d = np.full((1, N, K), 2.0)
    d[0, :, 0] = 60.0
    pred = gt[None, ..., :2] + np.stack([d, np.zeros_like(d)], axis=-1)
    spiky = ArmData("spiky", d, [0], pred=pred, train_frames=[100], steps=[1500], frames=100, cfg_steps=1500)
    a = analyze([base, spiky], gt)
    note = next(n for n in a.notes if n.startswith("The metrics disagree"))
    assert "mean error and RMSE rank baseline, spiky" in note
    assert "median error and PCK@5 and PCK@10 rank spiky, baseline" in note


def test_animal_scale_and_trivial_prediction():
    gt = np.array([[[0, 0, 2], [30, 40, 2], [np.nan, np.nan, 0]], [[0, 0, 2], [60, 80, 2], [1, 1, 2]]], float)
    assert animal_scale(gt) == pytest.approx(75.0)  # median of 50 and 100
    tp = trivial_prediction(np.array([[0.5, 0.5], [0.25, 1.0], [0, 0]]), np.array([[100, 50], [200, 100]]))
    assert tp[1, 1].tolist() == [50.0, 100.0] and tp[0, 0].tolist() == [50.0, 25.0]


def test_failed_baseline_gives_no_answer(gt):
    rng = np.random.default_rng(9)
    empty = ArmData("baseline", np.zeros((0, N, K)), [], pred=np.zeros((0, N, K, 2)), failed=3)
    a = analyze([empty, _arm("good", gt, 5, rng)], gt)
    assert a.lead == "warning" and a.headline == "No answer: the baseline has no result, so no arm can be compared with it."
    assert a.arm("baseline").sentence == "baseline: no result (every seed failed)."
    assert a.arm("good").verdict == "not compared"
    assert a.arm("good").sentence == "good: not compared, there is no result for the baseline."
    assert "baseline: 3 seed(s) failed and are missing from its numbers." in a.warnings


def test_grid_compares_with_its_first_arm(gt):
    rng = np.random.default_rng(10)
    a = analyze([_arm("light=random", gt, 10, rng), _arm("light=fixed", gt, 5, rng)], gt, baseline="light=random")
    assert a.lead == "ranking" and a.arm("light=random").verdict == "baseline"
    assert a.arm("light=fixed").sentence.startswith("light=fixed is better than the reference arm light=random:")
    assert a.headline.startswith("Better than the reference arm light=random: light=fixed")


def test_gap_agreement_says_which_gap_numbers_order_the_arms_like_the_accuracy():
    from simgen.gap.report import HEADLINE
    from simgen.sweep.analysis import GAP_NUMBERS, gap_agreement, gap_orders, gap_sentence

    assert set(GAP_NUMBERS) <= set(HEADLINE)  # the report shows numbers the gap stage computes

    acc = {"baseline": 20.0, "a": 10.0, "b": 30.0}  # best first: a, baseline, b
    gap = {"baseline": {"doubtful": 0.5, "flip_px": 9.0, "coverage_median": 3.0, "uncovered": 1.0,
                        "realism_full": 1.0, "spearman": 0.9},
           "a": {"doubtful": 0.2, "flip_px": 12.0, "coverage_median": 3.0, "uncovered": 1.0, "realism_full": 1.0},
           "b": {"doubtful": 0.7, "flip_px": 4.0, "coverage_median": 2.0, "uncovered": 1.0, "realism_full": 1.0}}
    g = gap_orders("mean_error", acc, gap)
    assert g.accuracy_order == ["a", "baseline", "b"] and g.agree == ["doubtful"]
    # b is nearest to the renders but worst: against the accuracy
    assert g.differ == {"flip_px": ["b", "baseline", "a"], "coverage_median": ["b", "baseline", "a"]}
    assert g.flat == ["uncovered", "realism_full"]
    assert "spearman" not in g.agree + g.flat + list(g.differ)  # a check of the estimate, not a property to rank by
    s = gap_agreement("mean_error", acc, gap)
    assert s == gap_sentence(g) and "doubtful real frames" in s and "flip inconsistency" in s
    # PCK: higher is better, so the best arm has the largest value
    g = gap_orders("pck10", {"x": 0.9, "y": 0.4}, {"x": {"doubtful": 0.1}, "y": {"doubtful": 0.6}})
    assert g.accuracy_order == ["x", "y"] and g.agree == ["doubtful"] and not g.differ and not g.flat
    assert "PCK@10" in gap_sentence(g)
    assert gap_orders("mean_error", {"x": 1.0}, {"x": {"doubtful": 0.1}}) is None  # one arm: nothing to rank
    assert gap_orders("mean_error", {"x": 1.0, "y": 2.0}, {}) is None  # no gap numbers
    assert gap_agreement("mean_error", {"x": 1.0, "y": 2.0}, {}) == ""
