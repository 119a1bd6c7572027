"""``simgen sweep`` end to end on a tiny scene and tiny "real" data: results.csv, the
report, stage reuse when an arm is added, and the report in headless Chromium."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sweep_toy import make_real, write_sweep

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A 2-arm (baseline, classic style), 1-seed sweep run once through the library."""
    from simgen.sweep.execute import run_sweep
    from simgen.sweep.spec import load_sweep

    root = tmp_path_factory.mktemp("sweep")
    real = make_real(root)
    path = write_sweep(root, real)
    res = run_sweep(load_sweep(path), root / "out", progress=False, log=lambda m: None)
    return root, real, res


def _render_markers(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in (out / "stages" / "render").glob("*/done.json")}


def test_results_and_report(first_run):
    root, _, res = first_run
    out = root / "out"
    assert not res.failed
    assert res.computed["render"] == 1 and res.reused["render"] == 1  # both arms share one render
    assert res.computed["style"] == 1 and res.computed["train"] == 2 and res.computed["evaluate"] == 2
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [(r["arm"], r["seed"], r["style"]) for r in rows] == [("baseline", "0", "none"), ("styled", "0", "classic")]
    for col in ("rmse", "mean_error", "median_error", "pck5", "pck10", "frames", "train_frames", "eval_frames",
                "wall_time_s", "rmse_snout", "rmse_leftear", "rmse_rightear", "rmse_tailbase"):
        assert col in rows[0], col
    for r in rows:
        assert np.isfinite(float(r["rmse"])) and float(r["rmse"]) >= 0
        assert 0 <= float(r["pck10"]) <= 1 and int(r["eval_frames"]) == 4 and int(r["frames"]) == 6
        assert float(r["wall_time_s"]) > 0
    page = (out / "report.html").read_text()
    for arm in ("baseline", "styled"):
        assert f'id="arm-{arm}"' in page and f">{arm}</text>" in page  # section and chart label
    assert '<svg id="chart"' in page and len(re.findall(r'class="bar[ "]', page)) == 2
    assert re.search(r'id="lead" data-lead="(warning|ranking)"', page)  # the page leads with one or the other
    assert page.index('id="lead"') < page.index('<svg id="chart"')
    assert "one seed: no spread" in page and "± 0.00" not in page
    # configuration as a diff against the baseline, and the baseline in full once
    assert '<td>style</td><td class="l">&quot;none&quot;</td><td class="l">&quot;classic&quot;</td>' in page and "resolved_scene" in page
    assert "6 frames rendered" in page  # the real frame count
    for src in re.findall(r'<img src="([^"]+)"', page):
        assert not src.startswith(("/", "http")) and (out / src).is_file(), src
    # the same rendered frame indices for both arms, and real frames with predictions
    shown = [sorted(p.name for p in (out / "report_files" / f"arm{i:02d}").glob("rendered_*.png")) for i in (0, 1)]
    assert shown[0] and shown[0] == shown[1]
    assert list((out / "report_files" / "arm01").glob("real_worst_*.png"))
    assert len(list((out / "stages" / "evaluate").glob("*/report/points.npz"))) == 2
    assert json.loads((out / "sweep.json").read_text())["arms"][1]["style"] == "classic"
    # no gap: in the sweep file: no gap stage, columns, section or sweep.json entry
    assert not (out / "stages" / "gap").exists() and not res.computed["gap"]
    assert not any(c.startswith("gap_") for c in rows[0]) and 'id="gap' not in page
    assert "gap" not in json.loads((out / "sweep.json").read_text())


def test_rerun_with_a_new_arm_renders_only_it(first_run, run_cli):
    root, real, _ = first_run
    out = root / "out"
    before = _render_markers(out)
    assert len(before) == 1
    path = write_sweep(root, real, extra_arms="""\
        const_light: {set: {lights.ceiling.energy: 60}, description: no light randomization}
    """)
    code, text, err = run_cli("sweep", path, "--out", out, "-q")
    assert code == 1 and "already holds a sweep; pass --resume" in err  # never mixes runs silently
    code, text, err = run_cli("sweep", path, "--out", out, "--resume", "-q")
    assert code == 0, text + err
    assert "stages computed: render 1, style 0, train 1, evaluate 1" in text
    assert "reused: render 2, style 1, train 2, evaluate 2" in text
    after = _render_markers(out)
    assert len(after) == 2 and all(after[k] == v for k, v in before.items())  # old render untouched
    assert "const_light seed 0: render 6 frames: done" in err
    assert "baseline seed 0: render 6 frames: reused" in err
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["arm"] for r in rows] == ["baseline", "styled", "const_light"]
    assert 'id="arm-const_light"' in (out / "report.html").read_text()
    inv = json.loads((out / "sweep.json").read_text())["invocation"]
    assert inv["command"][:2] == ["simgen", "sweep"] and "--resume" in inv["command"] and inv["seconds"] > 0


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (CI=true; .ci/run installs it with apt)")
    pytest.skip("chromium not installed (Debian: apt-get install chromium); CI installs it")


def test_report_in_headless_chromium(first_run, tmp_path):
    from PIL import Image

    exe = _chromium()
    root, _, _ = first_run
    url = (root / "out" / "report.html").resolve().as_uri()
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files"]
    shot = tmp_path / "report.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,900", url], check=True, timeout=120,
                   capture_output=True)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (900, 1200)
    # the lead box is on the first screen: its left border is vermillion (warning) or blue (answer)
    page = (root / "out" / "report.html").read_text()
    rgb = [213, 94, 0] if 'data-lead="warning"' in page else [0, 114, 178]
    border = (np.abs(img[:600] - rgb).sum(axis=2) < 30).sum()
    assert border > 200, border
    # the page's own script counts images that failed to load
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", url], check=True, timeout=120,
                         capture_output=True, text=True).stdout
    body = re.search(r'<body data-images="(\d+)" data-broken="(\d+)"', dom)
    assert body, dom[:500]
    assert int(body.group(1)) >= 6 and int(body.group(2)) == 0, body.group(0)
