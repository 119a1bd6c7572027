"""The optional gap stage (``gap:`` in the sweep file) on a tiny scene: it writes simgen gap's
numbers per arm x seed into results.csv and the report, and a rerun reuses it."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from sweep_toy import make_real, write_sweep

pytestmark = pytest.mark.blender

GAP = "gap: {frames: 5, renders: 6}"
ARMS = "few_steps: {train: {steps: 2}, description: half the training}"  # shares the baseline's render


@pytest.fixture(scope="module")
def gap_run(tmp_path_factory):
    """baseline + few_steps, one seed, with the gap stage on 5 'real video' frames."""
    from simgen.sweep.execute import run_sweep
    from simgen.sweep.spec import load_sweep

    root = tmp_path_factory.mktemp("sweepgap")
    real = make_real(root, frames=5)
    path = write_sweep(root, real, top=GAP, arms=ARMS)
    res = run_sweep(load_sweep(path), root / "out", progress=False, log=lambda m: None)
    return root, path, res


def test_gap_stage_writes_its_numbers(gap_run):
    root, _, res = gap_run
    out = root / "out"
    assert not res.failed and res.computed["gap"] == 2 and res.computed["render"] == 1
    stages = sorted((out / "stages" / "gap").glob("*/done.json"))
    assert len(stages) == 2
    for marker in stages:
        info = json.loads(marker.read_text())["info"]
        assert info["real_frames"] == 5 and info["renders"] == 6
        assert info["embedding"].startswith("pose model encoder")
        assert 0 <= info["doubtful"] <= 1 and 0 <= info["uncovered"] <= 1
        assert 0 <= info["realism_full"] <= 1 and 0 <= info["realism_crop"] <= 1
        assert info["flip_px"] >= 0 and info["coverage_median"] > 0 and 0 < info["confidence"] < 1
        assert info["validation_frames"] == 5  # the estimate checked on the 5 labeled frames
        assert info["spearman"] is None or -1 <= info["spearman"] <= 1
        report = marker.parent / "report"
        assert (report / "report.html").is_file()  # simgen gap's own page for this arm x seed
        assert len(json.loads((report / "gap.json").read_text())["estimate"]["score"]) == 5
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["arm"] for r in rows] == ["baseline", "few_steps"]
    for r in rows:
        for col in ("gap_doubtful", "gap_flip_px", "gap_coverage_median", "gap_uncovered", "gap_realism_full",
                    "gap_seconds"):
            assert np.isfinite(float(r[col])), col
        assert float(r["gap_seconds"]) > 0
    assert json.loads((out / "sweep.json").read_text())["gap"] == {"frames": 5, "renders": 6,
                                                                   "validate_estimate": True}


def test_report_shows_the_gap_beside_the_accuracy(gap_run):
    root, _, _ = gap_run
    out = root / "out"
    page = (out / "report.html").read_text()
    table = re.search(r'<table id="gap-table">(.*?)</table>', page).group(1)
    assert "<th>mean error (px)</th><th>doubtful real frames (%)</th>" in table
    rows = re.findall(r"<tr(?: class=\"bad\")?><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", table)
    assert [r[0] for r in rows] == ["baseline", "few_steps"]
    mean_error = {r["arm"]: float(r["mean_error"]) for r in csv.DictReader((out / "results.csv").open())}
    doubtful = {r["arm"]: float(r["gap_doubtful"]) for r in csv.DictReader((out / "results.csv").open())}
    for arm, me, dbt in rows:  # the table's numbers are results.csv's
        assert float(me) == pytest.approx(mean_error[arm], abs=0.06)
        assert float(dbt) == pytest.approx(100 * doubtful[arm], abs=0.06)
    for href in re.findall(r'<a href="(stages/gap/[^"]+)">seed 0</a>', table):
        assert (out / href).is_file()
    assert len(re.findall(r'<a href="stages/gap/', table)) == 2
    note = re.search(r'<p id="gap-agreement">([^<]+)</p>', page).group(1)
    assert note.startswith("Label-free gap numbers against the accuracy: mean error ranks the arms ")
    assert page.index('id="gap-agreement"') < page.index('id="gap-table"')  # in the answer, before the table


def test_rerun_reuses_the_gap_stage_and_redoes_a_killed_one(gap_run, run_cli):
    root, path, _ = gap_run
    out = root / "out"
    markers = sorted((out / "stages" / "gap").glob("*/done.json"))
    before = {m: m.stat().st_mtime_ns for m in markers}
    markers[0].unlink()  # as if the gap stage had been killed before it finished
    code, text, err = run_cli("sweep", path, "--out", out, "--resume", "-q")
    assert code == 0, text + err
    assert "stages computed: render 0, style 0, train 0, evaluate 0, gap 1" in text
    assert "reused: render 2, style 0, train 2, evaluate 2, gap 1" in text
    assert markers[0].is_file() and markers[1].stat().st_mtime_ns == before[markers[1]]


def test_without_validation_the_gap_stage_skips_the_labeled_frames(gap_run, run_cli):
    root, _, _ = gap_run
    out = root / "out"
    path = write_sweep(root, root / "real_dlc",
                       top="gap: {frames: 5, renders: 6, validate_estimate: false}", arms=ARMS)
    code, text, err = run_cli("sweep", path, "--out", out, "--resume", "-q")
    assert code == 0, text + err
    assert "stages computed: render 0, style 0, train 0, evaluate 0, gap 2" in text  # other settings: new stages
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert all(r["gap_spearman"] == "" and np.isfinite(float(r["gap_doubtful"])) for r in rows)
    assert len(list((out / "stages" / "gap").glob("*/done.json"))) == 4


def test_a_failed_gap_stage_keeps_the_accuracy(gap_run, monkeypatch):
    import simgen.gap.analyze
    from simgen.errors import SimgenError
    from simgen.sweep.execute import run_sweep
    from simgen.sweep.spec import load_sweep

    def broken(*a, **k):
        raise SimgenError("real.avi: OpenCV cannot open this video")

    monkeypatch.setattr(simgen.gap.analyze, "analyze", broken)
    root, _, _ = gap_run
    out = root / "out"
    path = write_sweep(root, root / "real_dlc", top="gap: {frames: 6, renders: 6}", arms=ARMS)
    logs = []
    res = run_sweep(load_sweep(path), out, resume=True, progress=False, log=logs.append)
    assert not res.failed and [r.gap_error for r in res.runs] == ["real.avi: OpenCV cannot open this video"] * 2
    assert "baseline seed 0: gap FAILED: real.avi: OpenCV cannot open this video" in logs
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["arm"] for r in rows] == ["baseline", "few_steps"] and all(np.isfinite(float(r["rmse"])) for r in rows)
    page = (out / "report.html").read_text()
    assert "few_steps seed 0: gap stage failed: real.avi: OpenCV cannot open this video" in page
    assert 'id="gap-agreement"' not in page  # no numbers, no sentence
