"""``DIR/report.html``: one static page that answers "which factor matters", or says why
this run cannot.

Order of the page: what was run (a banner when the run is smaller than the file asks for),
the answer or the warning (``sweep.analysis`` decides which; degenerate models lead with a
warning, never with a ranking), one sentence per arm, the chart and table with 95 %
intervals, error histograms, real frames with predictions at a fixed scale, rendered
training frames (the same frame indices in every arm), and each arm's configuration as a
diff against the baseline.

No server and nothing from the network: charts are inline SVG, images small PNGs in
``DIR/report_files/`` referenced relatively, so the folder can be zipped and mailed. A few
lines of inline script count images that failed to load into ``<body data-broken=N>``.
"""

from __future__ import annotations

import html
import json
import shlex
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from simgen.dataset.writer import atomic_write_text
from simgen.errors import SimgenError
from simgen.pose.metrics import metric
from simgen.sweep.analysis import (
    BASELINE,
    GAP_NUMBERS,
    METRICS,
    Analysis,
    ArmData,
    analyze,
    fmt,
    gap_agreement,
    trivial_prediction,
)
from simgen.sweep.figures import frame_panel, histogram, interval_chart, legend_html
from simgen.sweep.runner import ArmRun
from simgen.sweep.spec import Sweep, pose_config

FILES = "report_files"
PANEL = 168  # px, frame panels (six to a row)
N_RENDERED = 6  # rendered frames shown per arm

CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 12px;line-height:1.4}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 5px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}
.panels img{margin:2px;border:1px solid #ccc;vertical-align:top}.arm{margin-bottom:22px}
.muted{color:#666;font-size:13px}.err{color:#b00}#chart{display:block;margin-bottom:12px}
.box{padding:10px 14px;margin:14px 0;border-radius:4px;border-left:6px solid}
.box p{margin:4px 0}.box ul{margin:4px 0 4px 18px;padding:0}
.warning{background:#fff0e6;border-color:#D55E00}.warning h2{border:0;margin:0;color:#a33c00}
.reduced{background:#fff8db;border-color:#E69F00}.answer{background:#e8f3fa;border-color:#0072B2}
.answer h2{border:0;margin:0}.sentences li{margin:3px 0}.kp{margin-right:14px;font-size:13px;white-space:nowrap}
.sw{display:inline-block;width:12px;height:12px;border:1px solid #000;margin-right:4px;vertical-align:-1px}
.hists td{vertical-align:middle}tr.bad td{color:#888}.flag{color:#a33c00;font-weight:600}
td{white-space:nowrap}td.wrap{white-space:normal}th{vertical-align:bottom}td.l{text-align:left}code{font-size:12px;background:#f3f3f3;padding:1px 3px}
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


def _secs(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h")


# -- what was run ----------------------------------------------------------------------------


REDUCTION_TEXT = {"scale_frames": "--scale-frames {} (every arm's frame count times {})",
                  "steps": "--steps {} (every arm trains {} steps)", "seeds": "--seeds {} (fewer seeds than the "
                  "file's {})", "arms": "--arms {} (only these arms)", "set": "--set {} (scene changes for "
                  "every arm)"}


def _banner(sweep: Sweep, runs: list[ArmRun], run: dict | None, file_seeds: int | None) -> str:
    run = run or {}
    cmd = run.get("command")
    compute = sum(r.seconds for r in runs)
    facts = (f"simgen {_e(run.get('simgen_version', '?'))}; started {_e(run.get('started', '?'))}; this command took "
             f"{_secs(run.get('seconds'))}; the stages' compute time adds up to {_secs(compute)} "
             "(reused stages count with the time they took when they ran)")
    line = f"<p><code>{_e(shlex.join(cmd))}</code></p>" if cmd else ""
    red = sweep.reductions
    if not red:
        return f'<div class="muted">{line}<p>{facts}.</p></div>'
    items = []
    for k, v in red.items():
        shown = ",".join(map(str, v)) if isinstance(v, list) else v
        text = REDUCTION_TEXT[k]
        if k == "seeds":
            items.append(text.format(shown, file_seeds if file_seeds is not None else "?"))
        elif k == "set":
            items.append(REDUCTION_TEXT["set"].format(" ".join(shlex.quote(s) for s in v)))
        else:
            items.append(text.format(shown, shown))
    return ('<div class="box reduced" id="reduced"><p><b>Reduced run.</b> This is not the experiment the sweep '
            "file describes: it ran with</p><ul>" + "".join(f"<li><code>{_e(i)}</code></li>" for i in items)
            + f"</ul>{line}<p>{facts}.</p></div>")


# -- the answer ------------------------------------------------------------------------------


def _lead(an: Analysis, gap_note: str = "") -> str:
    sentences = "".join(f"<li>{_e(r.sentence)}</li>" for r in an.arms)
    notes = (f'<p id="gap-agreement">{_e(gap_note)}</p>' if gap_note else "") + "".join(
        f"<p>{_e(n)}</p>" for n in an.notes)
    if an.lead == "warning":
        warn = "".join(f"<li>{_e(w)}</li>" for w in an.warnings)
        box = (f'<div class="box warning" id="lead" data-lead="warning"><h2>Warning: {_e(an.headline)}</h2>'
               f"<ul>{warn}</ul></div>")
        if an.answer:  # some arms can still be compared: their ranking, under the warning
            return (box + f'<div class="box answer" id="answer"><h2>Among the other arms: {_e(an.answer)}</h2>'
                    f'<ul class="sentences">{sentences}</ul></div>{notes}')
        return box + f'<h2>Per arm</h2><ul class="sentences">{sentences}</ul>{notes}'
    warn = ("<div class=\"box warning\" id=\"caveats\"><p><b>Caveats</b></p><ul>"
            + "".join(f"<li>{_e(w)}</li>" for w in an.warnings) + "</ul></div>") if an.warnings else ""
    return (f'<div class="box answer" id="lead" data-lead="ranking"><h2>{_e(an.headline)}</h2>'
            f'<ul class="sentences">{sentences}</ul></div>{warn}{notes}')


def _chart(an: Analysis) -> str:
    name = an.metric
    label, lower, unit = METRICS[name]
    rows = [{"name": r.name, "value": r.interval.value, "lo": r.interval.lo, "hi": r.interval.hi,
             "seeds": r.per_seed[name], "degenerate": bool(r.flags),
             "tip": f"{fmt(r.interval.value, name)} (95% interval {fmt(r.interval.lo, name)} to "
                    f"{fmt(r.interval.hi, name)}), {len(r.seeds)} seed(s)"} for r in an.arms]
    ref = an.trivial[name] if an.trivial else None
    chart = interval_chart(rows, f"{label} on the real labeled frames ({'lower' if lower else 'higher'} is better)",
                           ref, "always predicting the mean training position", pct=unit == "%")
    one = any(len(r.seeds) == 1 for r in an.arms)
    return (chart + '<p class="muted">Bars: ' + _e(label) + " (mean over seeds); whiskers: 95% bootstrap interval "
            f"over the {an.n_frames} test frames and the seeds ({an.n_boot} draws, fixed seed); dots: single "
            "seeds; grey bars: degenerate models; dashed line: the trivial baseline."
            + (" One seed: no spread over training runs; the whiskers show test-frame variation only." if one
               else "") + "</p>")


def _num(v: float | None, m: str, signed: bool = False) -> str:
    """A table cell: no unit (the header has it), percentages as numbers of percent."""
    if v is None or not np.isfinite(v):
        return "-"
    v = v * 100 if METRICS[m][2] == "%" else v
    return f"{v:+.1f}" if signed else f"{v:.1f}"


def _table(an: Analysis, data: dict[str, ArmData], runs: dict[str, list[ArmRun]]) -> str:
    name = an.metric
    head = ["arm", "seeds", "mean error (px)", "RMSE (px)", "median (px)", "PCK@5 (%)", "PCK@10 (%)",
            f"vs baseline, 95% interval ({'points' if METRICS[name][2] == '%' else 'px'})",
            "trained on (frames)", "steps", "compute", "status"]
    trs = ["<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for r in an.arms:
        d = data[r.name]
        n = len(r.seeds)

        def cell(m: str, r=r, n=n) -> str:
            v = _num(r.values[m], m)
            if n > 1:
                sd = float(np.std(r.per_seed[m], ddof=1))
                v += f" ± {sd * 100:.1f}" if METRICS[m][2] == "%" else f" ± {sd:.1f}"
            return v

        diff = "-" if r.diff is None else (f"{_num(r.diff.value, name, True)} ({_num(r.diff.lo, name, True)} to "
                                           f"{_num(r.diff.hi, name, True)})")
        tf = sorted({x for x in d.train_frames if x is not None})
        st = sorted({x for x in d.steps if x is not None})
        status = ("degenerate" if r.flags else "confounded" if r.confounds else
                  {"baseline": "baseline", "not compared": "not compared"}.get(r.verdict, r.verdict))
        failed = f' <span class="err">({d.failed} failed)</span>' if d.failed else ""
        seeds = ("one seed: no spread" if n == 1 else str(n)) + failed
        cls = ' class="bad"' if r.flags else ""
        cells = [f'<a href="#arm-{_e(r.name)}">{_e(r.name)}</a>', seeds, *(cell(m) for m in METRICS), diff,
                 "/".join(map(str, tf)) or "-", "/".join(map(str, st)) or "-",
                 _secs(float(np.mean([x.seconds for x in runs[r.name]]))),
                 f'<span class="flag">{status}</span>' if r.flags or r.confounds else status]
        trs.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    if an.trivial:
        t = an.trivial
        trs.append('<tr class="bad"><td>trivial: mean training position</td><td>-</td>'
                   + "".join(f"<td>{t[m] * 100 if METRICS[m][2] == '%' else t[m]:.1f}</td>" for m in METRICS)
                   + '<td colspan="5" class="wrap">the same point (the baseline\'s mean training label position) '
                   "in every frame</td></tr>")
    return (f"<table>{''.join(trs)}</table><p class=\"muted\">Values: mean over seeds"
            " ± standard deviation over seeds when there are several. Mean error is DeepLabCut's \"RMSE\"; RMSE "
            "is the root of the mean squared error. \"trained on\": frames after the style gate.</p>")


def _gap_values(runs: list[ArmRun]) -> dict[str, list[float]]:
    """Gap number -> its finite values over the arm's seeds that ran the gap stage (``runs``: those that did)."""
    out: dict[str, list[float]] = {}
    for r in runs:
        for k in GAP_NUMBERS:
            v = getattr(r.gap, k)
            if v is not None and np.isfinite(v):
                out.setdefault(k, []).append(float(v))
    return out


def _gap_cell(vals: list[float] | None, unit: str) -> str:
    if not vals:
        return "-"
    k = 100.0 if unit == "%" else 1.0
    digits = 2 if unit == "" else 1
    v = f"{np.mean(vals) * k:.{digits}f}"
    return v + (f" ± {np.std(vals, ddof=1) * k:.{digits}f}" if len(vals) > 1 else "")


def _gap_table(an: Analysis, runs: dict[str, list[ArmRun]], out: Path) -> tuple[str, str]:
    """(the gap section, the sentence for the answer): simgen gap's numbers beside the accuracy."""
    if not any(r.gap is not None or r.gap_error for rs in runs.values() for r in rs):
        return "", ""
    name = an.metric
    label, _, unit = METRICS[name]
    head = ["arm", f"{label} ({'%' if unit == '%' else 'px'})"] + [
        f"{t}{f' ({u})' if u else ''}" for t, u, _ in GAP_NUMBERS.values()] + ["gap reports", "gap compute"]
    trs = ["<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    means: dict[str, dict[str, float]] = {}
    frames = set()
    for r in an.arms:
        rs = [x for x in runs.get(r.name, []) if x.gap is not None]
        vals = _gap_values(rs)
        means[r.name] = {k: float(np.mean(v)) for k, v in vals.items()}
        frames |= {(x.gap.real_frames, x.gap.renders) for x in rs}
        links = []
        for x in rs:
            page = x.stages["gap"].path / "report" / "report.html"
            try:
                links.append(f'<a href="{_e(page.relative_to(out).as_posix())}">seed {x.seed}</a>')
            except ValueError:  # a stage outside the report's folder: no relative link
                links.append(f"seed {x.seed}")
        secs = [x.stages["gap"].seconds for x in rs]
        cells = [_e(r.name), _num(r.values[name], name)] + [_gap_cell(vals.get(k), u) for k, (_, u, _) in
                                                              GAP_NUMBERS.items()]
        cells += [" ".join(links) or "-", _secs(float(np.mean(secs))) if secs else "-"]
        cls = ' class="bad"' if r.flags else ""  # degenerate: grey, as in the accuracy table
        trs.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    sizes = "; ".join(f"{f} real video frames, {n} renders" for f, n in sorted(frames, key=str))
    sentence = gap_agreement(name, {r.name: r.values[name] for r in an.arms if r.seeds}, means)
    failed = "".join(f'<p class="err">{_e(x.arm.name)} seed {x.seed}: gap stage failed: {_e(x.gap_error)}</p>'
                     for rs in runs.values() for x in rs if x.gap_error)
    html_ = (f'<h2 id="gap">Gap to the real video per arm (label-free)</h2><table id="gap-table">{"".join(trs)}'
             f"</table>{failed}"
             f'<p class="muted">simgen gap on each arm x seed ({_e(sizes)}), beside the accuracy on the labeled '
             "frames; mean over seeds ± standard deviation when there are several. <b>Doubtful</b>: share of the "
             "real video frames whose prediction moves by more than 5% of the frame's shorter side under a "
             "mirror or a 180-degree turn, or whose predicted body is implausible. <b>Flip inconsistency</b>: "
             "median over those frames of how far the prediction moves under a mirror. <b>Distance to the "
             "nearest render</b>: median over real frames, in the arm's model's encoder features standardised "
             "over both sets (each model has its own feature space: compare arms with care); <b>uncovered</b>: "
             "real frames farther from every render than 95% of renders are from their nearest other render. "
             "<b>Classifier</b>: held-out accuracy of a linear real-vs-render classifier on full frames (50% = "
             "indistinguishable). <b>Spearman</b>: the estimate's rank correlation with the true per-frame error "
             "on the labeled frames (higher: the label-free estimate can be trusted more). Lower is better in "
             "every other gap column. See docs/sweeps.md.</p>")
    return html_, sentence


def _per_keypoint(an: Analysis, data: dict[str, ArmData], keypoints: list[str]) -> str:
    name = an.metric
    trs = ["<tr><th>arm</th>" + "".join(f"<th>{_e(k)}</th>" for k in keypoints) + "</tr>"]
    for r in an.arms:
        d = data[r.name].dist  # (S, N, K)
        vals = [np.mean([metric(d[s, :, j], name) for s in range(len(d))]) if len(d) else None
                for j in range(len(keypoints))]
        trs.append(f"<tr><td>{_e(r.name)}</td>" + "".join(f"<td>{fmt(v, name)}</td>" for v in vals) + "</tr>")
    return f"<h2>{_e(METRICS[name][0].capitalize())} per keypoint (mean over seeds)</h2><table>{''.join(trs)}</table>"


def _histograms(an: Analysis, data: dict[str, ArmData]) -> str:
    all_d = np.concatenate([data[r.name].dist.ravel() for r in an.arms] + [np.array([np.nan])])
    fin = all_d[np.isfinite(all_d)]
    if not fin.size:
        return ""
    xmax = float(np.quantile(fin, 0.98)) or 1.0
    scale = an.scale_px
    rows = []
    for r in an.arms:
        d = data[r.name].dist.ravel()
        rows.append(f"<tr><td>{_e(r.name)}</td><td>{histogram(d, xmax, scale=scale)}</td>"
                    f"<td>{_e(fmt(r.values['median_error'], 'median_error'))} median</td></tr>")
    return ("<h2>Error per keypoint and frame, all seeds</h2>"
            f'<table class="hists">{"".join(rows)}</table><p class="muted">Same axis for every arm (0 to '
            f"{xmax:.0f} px; larger errors in the last bin)"
            + (f"; dashed: the animal's size ({scale:.0f} px)" if scale and scale < xmax else "") + ".</p>")


# -- pictures --------------------------------------------------------------------------------


def _real_panels(an: Analysis, data: dict[str, ArmData], real, folder: Path, out: Path) -> str:
    """Per arm: its worst real frames and two typical ones (first seed), at one fixed scale."""
    if real is None or real.labels is None or an.scale_px is None:
        return '<p class="muted">Real frames not shown: the labeled images could not be read here.</p>'
    window = 2.5 * an.scale_px
    gt = real.gt
    centres = np.nanmean(np.where(gt[..., 2:3] > 0, gt[..., :2], np.nan), axis=1)
    cache: dict[int, np.ndarray] = {}
    parts = []
    for i, r in enumerate(an.arms):
        d = data[r.name]
        if not len(d.seeds):
            continue
        with np.errstate(all="ignore"):
            per_frame = np.nanmean(d.dist[0], axis=1)
        ok = np.where(np.isfinite(per_frame))[0]
        if not ok.size:
            continue
        order = ok[np.argsort(-per_frame[ok])]
        worst = list(order[:4])
        typical = [j for j in order[np.argsort(np.abs(per_frame[order] - np.median(per_frame[ok])))] if
                   j not in worst][:2]
        imgs = []
        for kind, idx in (("worst", worst), ("typical", typical)):
            for j in idx:
                if j not in cache:
                    cache[j] = real.image(int(j))
                p = frame_panel(cache[j], folder / f"arm{i:02d}" / f"real_{kind}_{j:04d}.png", gt[j], d.pred[0, j],
                                tuple(centres[j]), window, PANEL,
                                f"{kind} {Path(real.names[j]).stem}: {per_frame[j]:.0f} px")
                imgs.append(f'<img src="{p.relative_to(out).as_posix()}" width="{PANEL}" '
                            f'alt="{_e(r.name)}: {kind} frame {_e(real.names[j])}">')
        parts.append(f'<div class="arm"><b>{_e(r.name)}</b> (seed {d.seeds[0]})<div class="panels">'
                     + "".join(imgs) + "</div></div>")
    return (f"<h2>Real frames: worst and typical predictions</h2>{legend_html(real.keypoints)}"
            f'<p class="muted">Each panel is a {window:.0f} px box around the labeled animal (2.5 times its size), '
            "the same scale for every arm and frame; the title gives the frame's mean error.</p>" + "".join(parts))


def _params_value(params: dict, path: str):
    node: Any = params
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, (str, int, float, bool)) else None


def pick_frames(frames: list[int], params: dict[int, dict], keys: list[str], n: int = N_RENDERED) -> list[int]:
    """Up to ``n`` of ``frames``: first one frame per distinct value of each categorical parameter in
    ``keys`` (e.g. every fur color drawn), then evenly spaced others."""
    chosen: list[int] = []
    for key in keys:
        seen = set()
        for f in frames:
            v = _params_value(params.get(f, {}), key)
            if isinstance(v, str) and v not in seen:
                seen.add(v)
                if f not in chosen and len(chosen) < n:
                    chosen.append(f)
    rest = [f for f in frames if f not in chosen]
    need = n - len(chosen)
    if need > 0 and rest:
        idx = np.linspace(0, len(rest) - 1, min(need, len(rest))).round().astype(int)
        chosen += [rest[i] for i in sorted(set(idx))]
    return sorted(chosen)


def _dataset(run: ArmRun, kind: str):
    from simgen.dataset import Dataset, Layout

    st = run.stages.get(kind)
    if st is None or not Layout(st.path / "data").meta.is_file():
        return None
    return Dataset(st.path / "data")


def _rendered_panels(sweep: Sweep, an: Analysis, by_arm: dict[str, list[ArmRun]], folder: Path, out: Path,
                     keypoints: list[str]) -> str:
    """The same frame indices in every arm (first seed), labels drawn; styled arms show the styled frames."""
    sets = {}
    for r in an.arms:
        run = by_arm[r.name][0]
        ds = _dataset(run, "style") or _dataset(run, "render")
        if ds is not None:
            sets[r.name] = ds
    if not sets:
        return ""
    keys = sorted({k for a in sweep.arms for k in a.set})
    ref = sets.get(BASELINE) or next(iter(sets.values()))
    frames = ref.frames()[:500]  # enough to find every level; reading 4000 annotations is slow
    params = {f: ref.annotation(f).params for f in frames}
    shown = pick_frames(frames, params, keys)
    parts = []
    for i, r in enumerate(an.arms):
        ds = sets.get(r.name)
        if ds is None:
            continue
        try:  # the camera the arm trained on (its pose config's, by the one --camera rule)
            cam = ds.meta.pick_camera(pose_config(sweep.arm(r.name).train, 0).camera)
        except SimgenError:
            continue  # training on these renders failed the same way: the arm's error is in the table
        kps = [ds.keypoints.index(k) if k in ds.keypoints else None for k in keypoints]
        imgs = []
        have = set(ds.frames())
        for f in shown:
            if f not in have:  # dropped by the style gate (or not rendered): say so in its place
                p = frame_panel(np.full((90, 120, 3), 235, np.uint8), folder / f"arm{i:02d}" / f"rendered_{f:06d}.png",
                                size=PANEL, title=f"frame {f}: not trained on")
                imgs.append(f'<img src="{p.relative_to(out).as_posix()}" width="{PANEL}" '
                            f'alt="{_e(r.name)}: frame {f} is not in its training set">')
                continue
            ann = ds.annotation(f)
            lab = np.asarray(ann.animals[0].cameras[cam].keypoints, float)
            xyv = np.array([lab[j] if j is not None else [np.nan, np.nan, 0] for j in kps])
            vals = [str(v) for v in (_params_value(ann.params, k) for k in keys) if isinstance(v, str)]
            title = f"frame {f}" + (f": {', '.join(vals)}" if vals else "")
            p = frame_panel(ds.load_image(cam, f), folder / f"arm{i:02d}" / f"rendered_{f:06d}.png", xyv, None,
                            size=PANEL, title=title[:26])
            imgs.append(f'<img src="{p.relative_to(out).as_posix()}" width="{PANEL}" '
                        f'alt="{_e(r.name)}: rendered frame {f}">')
        what = "after style transfer" if by_arm[r.name][0].stages.get("style") else "rendered"
        parts.append(f'<div class="arm"><b>{_e(r.name)}</b> ({what}, seed {by_arm[r.name][0].seed})'
                     f'<div class="panels">{"".join(imgs)}</div></div>')
    return ("<h2>Training frames: the same frame indices in every arm</h2>"
            f'<p class="muted">Frames {", ".join(map(str, shown))}, chosen to show every level of the arms\' '
            "categorical settings that the baseline draws (e.g. each fur color), then spread over the set; "
            "labels drawn as circles; \"not trained on\": the style gate dropped that frame.</p>" + "".join(parts))


# -- configuration ---------------------------------------------------------------------------


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict) and d:
        out = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def arm_config(sweep: Sweep, arm, seed: int) -> dict[str, Any]:
    """Flat path -> value of everything that defines an arm's training data and training."""
    doc = {k: v for k, v in arm.to_json().items() if k not in ("name", "description", "set", "train")}
    doc["train"] = pose_config(arm.train, seed).model_dump(mode="json")
    doc["train"].pop("seed", None)
    flat = _flat(json.loads(json.dumps(doc, default=str)))
    # scene overrides stay whole: their keys are already paths, their values distributions
    flat.update({f"scene.{k}": json.loads(json.dumps(v, default=str)) for k, v in arm.set.items()})
    return flat


def config_diff(base: dict[str, Any], other: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, baseline value, arm value) where they differ ("-" where a path is absent)."""
    keys = list(base) + [k for k in other if k not in base]
    return [(k, base.get(k, "-"), other.get(k, "-")) for k in keys if base.get(k, "-") != other.get(k, "-")]


def _config(sweep: Sweep, an: Analysis, by_arm: dict[str, list[ArmRun]], data: dict[str, ArmData]) -> str:
    arms = {a.name: a for a in sweep.arms}
    base_arm = arms.get(BASELINE) or sweep.arms[0]
    seed = by_arm[an.arms[0].name][0].seed
    base = arm_config(sweep, base_arm, seed)
    parts = ["<h2>Configuration: each arm against the baseline</h2>"]
    for r in an.arms:
        if r.name == base_arm.name:
            continue
        diff = config_diff(base, arm_config(sweep, arms[r.name], seed))
        d = data[r.name]
        tf = sorted({x for x in d.train_frames if x is not None})
        rows = "".join(f'<tr><td>{_e(k)}</td><td class="l">{_e(json.dumps(b))}</td>'
                       f'<td class="l">{_e(json.dumps(v))}</td></tr>' for k, b, v in diff)
        desc = arms[r.name].description
        parts.append(f'<div class="arm" id="arm-{_e(r.name)}"><b>{_e(r.name)}</b>'
                     + (f' <span class="muted">({_e(desc)})</span>' if desc else "")
                     + (f'<table><tr><th>setting</th><th>baseline</th><th>{_e(r.name)}</th></tr>{rows}</table>'
                        if rows else '<p class="muted">same settings as the baseline</p>')
                     + f'<p class="muted">rendered {arms[r.name].frames} frames, trained on '
                       f"{'/'.join(map(str, tf)) or '-'} (after the style gate); stages: "
                     + ", ".join(f"{k}/{s.key}" for k, s in by_arm[r.name][0].stages.items()) + "</p></div>")
    # the baseline in full once, with the real frame count (not the scene file's default)
    doc: dict[str, Any] = {"arm": base_arm.to_json(), "base_scene": str(sweep.scene),
                           "real": {"labeled": sweep.labeled, "video": None if sweep.video is None else str(sweep.video),
                                    "camera": sweep.camera},
                           "pose_config": pose_config(base_arm.train, seed).model_dump(mode="json")}
    brun = by_arm.get(base_arm.name, [None])[0]
    ds = _dataset(brun, "render") if brun else None
    if ds is not None:
        scene = dict(ds.meta.scene or {})
        scene["frames"] = len(ds.frames())  # what was rendered, not the scene file's default
        doc[f"resolved_scene (seed {brun.seed}, {len(ds.frames())} frames rendered)"] = scene
    text = yaml.safe_dump(json.loads(json.dumps(doc, default=str)), sort_keys=False, width=110)
    parts.append(f'<div class="arm" id="arm-{_e(base_arm.name)}"><details><summary>The baseline\'s full '
                 f"configuration</summary><pre>{_e(text)}</pre></details></div>")
    return "".join(parts)


# -- the page --------------------------------------------------------------------------------


def build_analysis(sweep: Sweep, runs: list[ArmRun]):
    """(analysis, arm data by name, real frames) of a finished sweep; analysis is None without results."""
    from simgen.sweep.results import arm_data, real_labels, trivial_mean

    real = real_labels(sweep, runs)
    if real is None:
        return None, {}, None
    data = arm_data(sweep, runs, real)
    base_runs = ([r for r in runs if r.arm.name == BASELINE and r.accuracy is not None]
                 or [r for r in runs if r.accuracy is not None])
    mean = trivial_mean(base_runs[0], real.keypoints) if base_runs else None
    trivial = trivial_prediction(mean, real.sizes) if mean is not None else None
    # a grid has no "baseline" arm: its first arm (every factor's first level) is the reference
    ref = BASELINE if any(d.name == BASELINE for d in data) else (data[0].name if data else BASELINE)
    an = analyze(data, real.gt, metric_name=sweep.metric, trivial_pred=trivial, baseline=ref)
    return an, {d.name: d for d in data}, real


def write_report(sweep: Sweep, runs: list[ArmRun], out: Path, run: dict | None = None,
                 analysis: tuple | None = None) -> Path:
    """Write ``out/report.html`` and its ``report_files/``; returns the page's path.

    ``run``: the invocation (command, simgen_version, started, seconds); ``analysis``: a
    precomputed ``build_analysis`` result (tests feed synthetic numbers this way)."""
    out = Path(out)
    files = out / FILES
    if files.exists():
        shutil.rmtree(files)
    files.mkdir(parents=True)
    by_arm: dict[str, list[ArmRun]] = {}
    for r in runs:
        by_arm.setdefault(r.arm.name, []).append(r)
    an, data, real = analysis if analysis is not None else build_analysis(sweep, runs)
    file_seeds = _file_seeds(sweep)

    body = [f"<h1>simgen sweep: {_e(sweep.path.name)}</h1>",
            f'<p class="muted">design {_e(sweep.design)}, {len(by_arm)} arm(s) x {len(sweep.seeds)} seed(s) '
            f"({', '.join(map(str, sweep.seeds))}); base scene {_e(sweep.scene)}; evaluated on "
            f"{_e(sweep.labeled)}"
            + (f" ({an.n_frames} labeled frames)" if an else "")
            + f"; written {time.strftime('%Y-%m-%d %H:%M')}. Numbers: results.csv.</p>",
            _banner(sweep, runs, run, file_seeds)]
    if an is None:
        body.append('<div class="box warning" id="lead" data-lead="warning"><h2>Warning: no results</h2><p>No '
                    "evaluation could be read: no arm finished its evaluation (see the errors below), or the "
                    "labeled data is no longer where the sweep found it.</p></div>")
        for r in runs:
            if r.error:
                body.append(f'<p class="err">{_e(r.arm.name)} seed {r.seed} failed: {_e(r.error)}</p>')
    else:
        gap_html, gap_note = _gap_table(an, by_arm, out)
        body.append(_lead(an, gap_note))
        body.append("<h2>Accuracy per arm</h2>" + _chart(an) + _table(an, data, by_arm))
        body.append(gap_html)
        for r in runs:
            if r.error:
                body.append(f'<p class="err">{_e(r.arm.name)} seed {r.seed} failed: {_e(r.error)}</p>')
        body.append(_histograms(an, data))
        body.append(_real_panels(an, data, real, files, out))
        body.append(_rendered_panels(sweep, an, by_arm, files, out, real.keypoints))
        body.append(_per_keypoint(an, data, real.keypoints))
        body.append(_config(sweep, an, by_arm, data))

    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>simgen sweep: {_e(sweep.path.name)}</title><style>{CSS}</style>"
            f"<script>{SCRIPT}</script></head>\n<body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n")
    path = out / "report.html"
    atomic_write_text(path, page)
    return path


def _file_seeds(sweep: Sweep) -> int | None:
    from simgen.scene.yamlsrc import load_yaml  # the limited YAML reader

    try:
        return len(load_yaml(sweep.path)[0].get("seeds", [0]))
    except (SimgenError, AttributeError):  # only for the banner's wording
        return None
