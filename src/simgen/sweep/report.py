"""``DIR/report.html``: one static page that answers "which factor matters".

No server and nothing from the network: the bar chart is inline SVG, the images are
small PNGs copied into ``DIR/report_files/`` and referenced relatively, so the folder
can be zipped and mailed. A few lines of inline script count images that failed to
load into ``<body data-broken=N>`` (the report's browser test reads it).
"""

from __future__ import annotations

import html
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from simgen.sweep.runner import ArmRun
from simgen.sweep.spec import Sweep, pose_config

FILES = "report_files"
THUMB = (200, 150)

CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}
.thumbs img{margin:2px;border:1px solid #ccc}.arm{margin-bottom:18px}.muted{color:#777;font-size:13px}
.worst img{max-width:100%;border:1px solid #ccc}.err{color:#b00}#chart{display:block;margin-bottom:12px}
"""

SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img'), broken = 0;
  imgs.forEach(function (im) { if (!im.complete || im.naturalWidth === 0) broken++; });
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-broken', broken);
});
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _fmt(x: float | None, p: str = ".2f") -> str:
    return "-" if x is None else format(x, p)


def _mean_sd(xs: list[float]) -> tuple[float | None, float | None]:
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def bar_chart(groups: list[tuple[str, list[float]]], label: str = "RMSE on real labeled frames (px)") -> str:
    """Horizontal bars of the mean per arm; whiskers span min..max over seeds; dots are seeds."""
    rows = [(name, [v for v in vals if v is not None]) for name, vals in groups]
    top = max([max(v) for _, v in rows if v] + [1e-9])
    step = _nice_step(top / 5)
    xmax = step * (int(top / step) + 1)
    left, width, row_h, pad = 230, 560, 26, 30
    height = pad + row_h * len(rows) + 40
    sx = lambda v: left + width * v / xmax  # noqa: E731
    out = [f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" '
           f'role="img" aria-label="{_e(label)}" style="font:12px system-ui,sans-serif">']
    t = 0.0
    while t <= xmax + 1e-9:
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" y1="{pad - 6}" x2="{x:.1f}" y2="{height - 34}" stroke="#e4e4e4"/>'
                   f'<text x="{x:.1f}" y="{height - 20}" text-anchor="middle" fill="#555">{t:g}</text>')
        t += step
    out.append(f'<text x="{left + width / 2}" y="{height - 4}" text-anchor="middle">{_e(label)}</text>')
    for i, (name, vals) in enumerate(rows):
        y = pad + i * row_h
        out.append(f'<text x="{left - 8}" y="{y + row_h / 2 + 4}" text-anchor="end">{_e(name)}</text>')
        if not vals:
            out.append(f'<text x="{left + 4}" y="{y + row_h / 2 + 4}" fill="#b00">no result</text>')
            continue
        m = statistics.fmean(vals)
        out.append(f'<rect class="bar" x="{left}" y="{y + 4}" width="{sx(m) - left:.1f}" height="{row_h - 8}" '
                   f'fill="#4c78a8"><title>{_e(name)}: mean {m:.2f} px over {len(vals)} seed(s)</title></rect>')
        lo, hi, cy = sx(min(vals)), sx(max(vals)), y + row_h / 2
        if len(vals) > 1:
            out.append(f'<line x1="{lo:.1f}" y1="{cy}" x2="{hi:.1f}" y2="{cy}" stroke="#222" stroke-width="1.5"/>'
                       f'<line x1="{lo:.1f}" y1="{cy - 6}" x2="{lo:.1f}" y2="{cy + 6}" stroke="#222"/>'
                       f'<line x1="{hi:.1f}" y1="{cy - 6}" x2="{hi:.1f}" y2="{cy + 6}" stroke="#222"/>')
        for v in vals:
            out.append(f'<circle cx="{sx(v):.1f}" cy="{cy}" r="3" fill="#f58518" stroke="#222" stroke-width=".5"/>')
    out.append("</svg>")
    return "\n".join(out)


def _nice_step(raw: float) -> float:
    import math

    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for f in (1, 2, 2.5, 5, 10):
        if raw <= f * mag:
            return f * mag
    return 10 * mag


def _frames(dataset: Path | None, n: int = 3) -> list[int]:
    from simgen.dataset import Dataset

    if dataset is None or not (dataset / "dataset.json").is_file():
        return []
    return Dataset(dataset).frames()[:n]


def _thumbs(dataset: Path | None, dest: Path, prefix: str, frames: list[int]) -> list[Path]:
    """Small PNGs of ``frames`` of a dataset (first camera)."""
    from PIL import Image

    from simgen.dataset import Dataset

    if dataset is None or not (dataset / "dataset.json").is_file():
        return []
    ds = Dataset(dataset)
    cam = ds.meta.camera_names[0]
    out = []
    for f in frames:
        with Image.open(ds.image_path(cam, f)) as im:
            im = im.convert("RGB")
            im.thumbnail(THUMB)
            path = dest / f"{prefix}_{f:06d}.png"
            im.save(path, optimize=True)
        out.append(path)
    return out


def write_report(sweep: Sweep, runs: list[ArmRun], out: Path) -> Path:
    """Write ``out/report.html`` and its ``report_files/``; returns the page's path."""
    out = Path(out)
    files = out / FILES
    if files.exists():
        shutil.rmtree(files)
    files.mkdir(parents=True)
    by_arm: dict[str, list[ArmRun]] = {}
    for r in runs:
        by_arm.setdefault(r.arm.name, []).append(r)
    arms = [a for a in sweep.arms if a.name in by_arm]
    rel = lambda p: p.relative_to(out).as_posix()  # noqa: E731

    body = [f"<h1>simgen sweep: {_e(sweep.path.name)}</h1>",
            f'<p class="muted">design {_e(sweep.design)}, {len(arms)} arm(s) x {len(sweep.seeds)} seed(s) '
            f"({', '.join(map(str, sweep.seeds))}); base scene {_e(sweep.scene)}; evaluated on "
            f"{_e(sweep.labeled)}; written {time.strftime('%Y-%m-%d %H:%M')}. Numbers: results.csv.</p>"]

    # -- chart and summary table
    body.append("<h2>Accuracy per arm</h2>")
    body.append('<p class="muted">Bars: mean RMSE over seeds (lower is better); whiskers: min to max over '
                "seeds; dots: single seeds.</p>")
    groups = [(a.name, [r.metrics["all"]["rmse"] for r in by_arm[a.name] if r.metrics]) for a in arms]
    body.append(bar_chart(groups))
    head = ["arm", "seeds", "RMSE (mean ± sd)", "median error", "PCK@5", "PCK@10", "train frames", "wall time (s)"]
    trs = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for a in arms:
        rs = [r for r in by_arm[a.name] if r.metrics]
        get = lambda k: [r.metrics["all"][k] for r in rs]  # noqa: E731
        m, sd = _mean_sd(get("rmse"))
        failed = [r for r in by_arm[a.name] if r.error]
        cells = [f'<a href="#arm-{_e(a.name)}">{_e(a.name)}</a>', f"{len(rs)}" + (
                     f' <span class="err">({len(failed)} failed)</span>' if failed else ""),
                 "-" if m is None else f"{m:.2f} ± {sd:.2f}", _fmt(_mean_sd(get("median_error"))[0]),
                 _fmt(_mean_sd(get("pck5"))[0], ".1%"), _fmt(_mean_sd(get("pck10"))[0], ".1%"),
                 _fmt(_mean_sd([r.stages["train"].info.get("train_frames") for r in rs])[0], ".0f"),
                 _fmt(_mean_sd([r.seconds for r in rs])[0], ".0f")]
        trs.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    body.append(f"<table>{''.join(trs)}</table>")

    # -- per keypoint
    kps: list[str] = []
    for r in runs:
        for k in (r.metrics or {}).get("per_keypoint", {}):
            if k not in kps:
                kps.append(k)
    if kps:
        body.append("<h2>RMSE per keypoint (px, mean over seeds)</h2>")
        trs = ["<tr><th>arm</th>" + "".join(f"<th>{_e(k)}</th>" for k in kps) + "</tr>"]
        for a in arms:
            rs = [r for r in by_arm[a.name] if r.metrics]
            vals = [_mean_sd([r.metrics["per_keypoint"].get(k, {}).get("rmse") for r in rs])[0] for k in kps]
            trs.append(f"<tr><td>{_e(a.name)}</td>" + "".join(f"<td>{_fmt(v)}</td>" for v in vals) + "</tr>")
        body.append(f"<table>{''.join(trs)}</table>")

    # -- per arm: frames, worst predictions, configuration
    body.append("<h2>Arms</h2>")
    for i, a in enumerate(arms):
        rs = by_arm[a.name]
        first = rs[0]
        folder = files / f"arm{i:02d}"
        folder.mkdir()
        body.append(f'<div class="arm" id="arm-{_e(a.name)}"><h3>{_e(a.name)}</h3>')
        if a.description:
            body.append(f'<p class="muted">{_e(a.description)}</p>')
        for r in rs:
            if r.error:
                body.append(f'<p class="err">seed {r.seed} failed: {_e(r.error)}</p>')
        raw = first.stages.get("render")
        sty = first.stages.get("style")
        raw_data = raw.path / "data" if raw else None
        # the same frames raw and styled, so the two rows compare side by side
        shown = _frames(sty.path / "data") if sty else _frames(raw_data)
        imgs = _thumbs(raw_data, folder, "raw", shown)
        if imgs:
            body.append(f"<p>Rendered frames (seed {first.seed}):</p><div class=\"thumbs\">" + "".join(
                f'<img src="{rel(p)}" alt="rendered frame {p.stem}" width="{THUMB[0]}">' for p in imgs) + "</div>")
        if sty:
            imgs = _thumbs(sty.path / "data", folder, "styled", shown)
            body.append(f"<p>After style transfer ({_e(a.style)}; "
                        f"{sty.info.get('dropped', 0)} frame(s) dropped by the geometry gate):</p>"
                        '<div class="thumbs">' + "".join(
                            f'<img src="{rel(p)}" alt="styled frame {p.stem}" width="{THUMB[0]}">' for p in imgs)
                        + "</div>")
        ev = first.stages.get("evaluate")
        sheet = ev.path / "report" / "worst_frames.png" if ev else None
        if sheet is not None and sheet.is_file():
            dst = folder / f"worst_seed{first.seed}.png"
            shutil.copy2(sheet, dst)
            body.append(f"<p>Worst real predictions (seed {first.seed}; o label, x prediction):</p>"
                        f'<div class="worst"><img src="{rel(dst)}" alt="worst predictions of {_e(a.name)}"></div>')
        body.append(f"<details><summary>Exact configuration</summary><pre>{_e(_config_yaml(sweep, a, rs))}</pre>"
                    "</details></div>")

    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>simgen sweep: {_e(sweep.path.name)}</title><style>{CSS}</style>"
            f"<script>{SCRIPT}</script></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")
    path = out / "report.html"
    path.write_text(page)
    return path


def _config_yaml(sweep: Sweep, arm, runs: list[ArmRun]) -> str:
    """The arm as resolved (every inherited value filled in), its scene overrides per seed,
    the pose config it trained with, the stage folders, and the resolved scene."""
    doc: dict[str, Any] = {"arm": arm.to_json(), "base_scene": str(sweep.scene), "real": {
        "labeled": sweep.labeled, "video": None if sweep.video is None else str(sweep.video), "camera": sweep.camera}}
    doc["seeds"] = {}
    for r in runs:
        doc["seeds"][r.seed] = {"scene_overrides": arm.overrides(r.seed),
                                "stages": {k: f"stages/{k}/{s.key}" for k, s in r.stages.items()}}
    doc["pose_config"] = pose_config(arm.train, runs[0].seed).model_dump(mode="json")
    raw = runs[0].stages.get("render")
    if raw is not None and (raw.path / "data" / "dataset.json").is_file():
        meta = json.loads((raw.path / "data" / "dataset.json").read_text())
        doc[f"resolved_scene (seed {runs[0].seed})"] = meta.get("scene")
    return yaml.safe_dump(json.loads(json.dumps(doc, default=str)), sort_keys=False, width=110)
