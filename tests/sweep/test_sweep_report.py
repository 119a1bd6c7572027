"""The report page built from synthetic numbers (no rendering, no training): it leads with
the warning for degenerate models and with the ranking for trained ones, says which run
was reduced, shows the configuration as a diff, and picks frames that show the factor."""

from __future__ import annotations

import re

import numpy as np
import pytest

from simgen.sweep.analysis import ArmData, analyze, distances, gap_orders, gap_sentence, trivial_prediction
from simgen.sweep.report import config_diff, pick_frames, write_report
from simgen.sweep.results import RealLabels
from simgen.sweep.runner import ArmRun
from simgen.sweep.spec import Arm, Sweep, TrainSpec

N, K = 30, 4
KPS = ["snout", "leftear", "rightear", "tailbase"]


def _gt(rng) -> np.ndarray:
    centre = rng.uniform([150, 120], [490, 360], size=(N, 1, 2))
    xy = centre + np.array([[50, 0], [30, -12], [30, 12], [-50, 0]], float)[None]
    return np.concatenate([xy, np.full((N, K, 1), 2.0)], axis=-1)


def _sweep(tmp_path, names, reductions=None) -> Sweep:
    (tmp_path / "sweep.yaml").write_text("seeds: [0, 1, 2]\n")
    arms = [Arm(n, {"animal.fur": "black"} if n == "single_fur" else {}, 20 if n != "frames_40" else 40, "fast",
                "classic" if n == "styled" else "none", None, TrainSpec(steps=20)) for n in names]
    return Sweep(tmp_path / "sweep.yaml", tmp_path / "scene.yaml", str(tmp_path / "real"), None, None, [0, 1, 2],
                 "ofat", arms, reductions=reductions or {})


def _page(tmp_path, sweep, data, gt, trivial=None):
    an = analyze(data, gt, trivial_pred=trivial)
    runs = [ArmRun(a, s) for a in sweep.arms for s in next(d.seeds for d in data if d.name == a.name)]
    real = RealLabels(gt, np.tile([640, 480], (N, 1)), [f"img{i:04d}.png" for i in range(N)], KPS)
    run = {"command": ["simgen", "sweep", "sweep.yaml", "--out", "o", "--steps", "20"], "simgen_version": "0.1.0",
           "started": "2026-01-01T00:00:00", "seconds": 95.0}
    path = write_report(sweep, runs, tmp_path / "out", run, analysis=(an, {d.name: d for d in data}, real))
    return an, path.read_text()


def test_degenerate_run_leads_with_the_warning(tmp_path):
    gt = _gt(np.random.default_rng(0))
    sweep = _sweep(tmp_path, ["baseline", "single_fur", "styled"], {"steps": 20, "scale_frames": 0.02,
                                                                     "seeds": [0]})
    data = []
    for name, corner in (("baseline", (3, 3)), ("single_fur", (636, 3)), ("styled", (3, 476))):
        pred = np.broadcast_to(np.array(corner, float), (1, N, K, 2)).copy()
        data.append(ArmData(name, distances(pred, gt), [0], pred=pred, train_frames=[20 if name != "styled" else 7],
                            steps=[20], frames=20, cfg_steps=20))
    an, page = _page(tmp_path, sweep, data, gt, trivial_prediction(np.full((K, 2), 0.5), np.tile([640, 480], (N, 1))))
    assert an.lead == "warning"
    lead = page.index('id="lead"')
    assert all(a.flags for a in an.arms) and an.answer == ""  # every model degenerate: no ranking
    assert 'data-lead="warning"' in page and f"Warning: {an.headline}" in page and "degenerate" in an.headline
    assert lead < page.index('<svg id="chart"')  # the warning comes before any chart or table
    assert page.index('id="reduced"') < lead  # and the reduced-run banner before that
    assert "--steps 20 (every arm trains 20 steps)" in page and "--seeds 0 (fewer seeds than the file&#x27;s 3)" in page
    assert "simgen sweep sweep.yaml --out o --steps 20" in page and "simgen 0.1.0" in page
    assert "one seed: no spread" in page and "± 0.00" not in page
    assert page.count('class="bar degenerate"') == 3
    assert 'id="answer"' not in page  # every model is degenerate: no ranking at all
    assert "trained on 7 frames against 20 for the baseline" in page  # the confound is named
    assert "always predicting the mean training position" in page  # the trivial reference line


def test_trained_run_leads_with_the_ranking(tmp_path):
    rng = np.random.default_rng(1)
    gt = _gt(rng)
    sweep = _sweep(tmp_path, ["baseline", "single_fur", "frames_40"])
    data = []
    for name, err in (("baseline", 12.0), ("single_fur", 7.0), ("frames_40", 12.0)):
        preds = []
        for _ in range(3):
            r = np.abs(rng.normal(err, 3.0, size=(N, K)))
            a = rng.uniform(0, 2 * np.pi, size=(N, K))
            preds.append(gt[..., :2] + np.stack([r * np.cos(a), r * np.sin(a)], -1))
        pred = np.stack(preds)
        data.append(ArmData(name, distances(pred, gt), [0, 1, 2], pred=pred,
                            train_frames=[40 if name == "frames_40" else 20] * 3, steps=[20] * 3,
                            frames=40 if name == "frames_40" else 20, cfg_steps=20))
    an, page = _page(tmp_path, sweep, data, gt)
    assert an.lead == "ranking"
    assert 'data-lead="ranking"' in page and 'data-lead="warning"' not in page and 'id="reduced"' not in page
    head = re.search(r'<div class="box answer" id="lead" data-lead="ranking"><h2>([^<]+)</h2>', page).group(1)
    assert [a.verdict for a in an.arms] == ["baseline", "better", "indistinguishable"]
    assert head == an.headline == an.answer and head.index("single_fur") < head.index("frames_40")
    assert page.index('id="lead"') < page.index('<svg id="chart"')
    assert an.arm("single_fur").sentence in page and "better than the baseline" in an.arm("single_fur").sentence
    assert page.count('class="ci"') == 3 and page.count('class="seed"') == 9  # intervals and seeds drawn
    assert "one seed" not in page
    # configuration as a diff: only what differs from the baseline
    assert '<td>scene.animal.fur</td><td class="l">&quot;-&quot;</td><td class="l">&quot;black&quot;</td>' in page
    assert '<td>frames</td><td class="l">20</td><td class="l">40</td>' in page
    assert page.count("<td>train.steps</td>") == 0  # the same in every arm: not repeated


def test_config_diff_and_frame_choice():
    assert config_diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == [("b", 2, 3), ("c", "-", 4)]
    params = {f: {"animal": {"fur": fur}} for f, fur in enumerate(["black"] * 10 + ["white"] + ["brown"] * 9)}
    shown = pick_frames(list(range(20)), params, ["animal.fur"], n=6)
    furs = {params[f]["animal"]["fur"] for f in shown}
    assert furs == {"black", "white", "brown"} and len(shown) == 6 and 10 in shown
    assert pick_frames([0, 1, 2], {}, [], n=8) == [0, 1, 2]


@pytest.mark.parametrize("metric", ["pck5", "rmse"])
def test_chart_follows_the_sweeps_metric(tmp_path, metric):
    gt = _gt(np.random.default_rng(2))
    sweep = _sweep(tmp_path, ["baseline"])
    sweep.metric = metric
    pred = gt[None, ..., :2] + 3.0
    data = [ArmData("baseline", distances(pred, gt), [0], pred=pred, train_frames=[20], steps=[20], frames=20,
                    cfg_steps=20)]
    an = analyze(data, gt, metric_name=metric)
    runs = [ArmRun(sweep.arms[0], 0)]
    real = RealLabels(gt, np.tile([640, 480], (N, 1)), [str(i) for i in range(N)], KPS)
    page = write_report(sweep, runs, tmp_path / "out", None, analysis=(an, {"baseline": data[0]}, real)).read_text()
    label = {"pck5": "PCK@5 on the real labeled frames (higher is better)",
             "rmse": "RMSE on the real labeled frames (lower is better)"}[metric]
    assert f'aria-label="{label}"' in page


def test_no_results_page_says_so(tmp_path):
    sweep = _sweep(tmp_path, ["baseline"])
    page = write_report(sweep, [ArmRun(sweep.arms[0], 0, error="render failed: no GPU")], tmp_path / "out").read_text()
    assert 'data-lead="warning"' in page and "Warning: no results" in page
    assert "baseline seed 0 failed: render failed: no GPU" in page and "<svg" not in page


def test_predictions_csv_is_read_back(tmp_path):
    """Evaluate stages from before points.npz: the predictions come back from predictions.csv."""
    from simgen.pose.predict import dlc_table
    from simgen.sweep.results import _read_predictions

    xy = np.random.default_rng(3).uniform(0, 100, size=(3, K, 2))
    dlc_table(xy, np.ones((3, K)), KPS, index=["a.png", "b.png", "c.png"]).to_csv(tmp_path / "p.csv")
    names, pred = _read_predictions(tmp_path / "p.csv", ["tailbase", "snout"])
    assert names == ["a.png", "b.png", "c.png"]
    np.testing.assert_allclose(pred, xy[:, [3, 0]])


def test_gap_numbers_beside_the_accuracy_over_seeds(tmp_path):
    """The gap table: mean ± sd over seeds, a link to each seed's gap page, and the sentence."""
    from simgen.sweep.stages import Stage

    rng = np.random.default_rng(4)
    gt = _gt(rng)
    sweep = _sweep(tmp_path, ["baseline", "single_fur"])
    data = []
    for name, err in (("baseline", 12.0), ("single_fur", 6.0)):
        pred = np.stack([gt[..., :2] + rng.normal(0, err, size=(N, K, 2)) for _ in range(3)])
        data.append(ArmData(name, distances(pred, gt), [0, 1, 2], pred=pred, train_frames=[20] * 3, steps=[20] * 3,
                            frames=20, cfg_steps=20))
    an = analyze(data, gt)
    doubtful = {"baseline": [0.40, 0.50, 0.60], "single_fur": [0.10, 0.20, 0.30]}
    runs = []
    for arm in sweep.arms:
        for s in (0, 1, 2):
            folder = tmp_path / "out" / "stages" / "gap" / f"{arm.name}{s}"
            info = {"real_frames": 50, "renders": 60, "doubtful": doubtful[arm.name][s], "flip_px": 5.0 + s,
                    "coverage_median": 2.0, "uncovered": 1.0, "realism_full": 1.0, "spearman": 0.5}
            runs.append(ArmRun(arm, s, stages={"gap": Stage("gap", "k", folder, info, 30.0, False)}))
    real = RealLabels(gt, np.tile([640, 480], (N, 1)), [f"img{i:04d}.png" for i in range(N)], KPS)
    page = write_report(sweep, runs, tmp_path / "out", None,
                        analysis=(an, {d.name: d for d in data}, real)).read_text()
    table = re.search(r'<table id="gap-table">(.*?)</table>', page).group(1)
    base = re.search(r"<tr><td>baseline</td>(.*?)</tr>", table).group(1)
    cells = re.findall(r"<td>(.*?)</td>", base)
    assert cells[0] == f"{an.arm('baseline').values['mean_error']:.1f}"
    assert cells[1:7] == ["50.0 ± 10.0", "6.0 ± 1.0", "2.00 ± 0.00", "100.0 ± 0.0", "100.0 ± 0.0", "0.50 ± 0.00"]
    assert cells[7].count('<a href="stages/gap/baseline') == 3 and cells[8] == "30 s"
    assert "50 real video frames, 60 renders" in page
    note = re.search(r'<p id="gap-agreement">([^<]+)</p>', page).group(1)
    # the arms' mean gap numbers over seeds, as the table shows them
    means = {a: {"doubtful": float(np.mean(d)), "flip_px": 6.0, "coverage_median": 2.0, "uncovered": 1.0,
                 "realism_full": 1.0, "spearman": 0.5} for a, d in doubtful.items()}
    g = gap_orders("mean_error", {a.name: a.values["mean_error"] for a in an.arms}, means)
    assert g.accuracy_order == ["single_fur", "baseline"] and g.agree == ["doubtful"] and not g.differ
    assert g.flat == ["flip_px", "coverage_median", "uncovered", "realism_full"]  # flip_px: mean 6.0 in both arms
    assert note == gap_sentence(g) and "doubtful real frames" in note  # the page words these orders
