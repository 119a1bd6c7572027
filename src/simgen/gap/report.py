"""gap.json and a static, self-contained report.html (images inline, the map as SVG)."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from simgen.gap.analyze import GapResult


def _thumb(img: np.ndarray, width: int = 200, points: np.ndarray | None = None,
           box: list[int] | None = None) -> str:
    """An <img> with the image as an inline JPEG; optional keypoints (x) and a box drawn."""
    import cv2

    img = np.ascontiguousarray(img[..., :3]).copy()
    if points is not None:
        size = max(14, img.shape[1] // 25)
        for j, (x, y) in enumerate(points):
            if np.isfinite(x) and np.isfinite(y):
                color = [(255, 60, 60), (60, 200, 60), (60, 120, 255), (255, 200, 0)][j % 4]
                cv2.drawMarker(img, (int(round(x)), int(round(y))), color, cv2.MARKER_TILTED_CROSS, size, max(2, size // 6))
    if box is not None:
        x, y, w, h = box
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), (255, 0, 255), 3)
    h, w = img.shape[:2]
    small = cv2.resize(img, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    data = base64.b64encode(buf.tobytes()).decode()
    return f'<img src="data:image/jpeg;base64,{data}" width="{width}">'


def _svg_map(real: np.ndarray, synth: np.ndarray, worst: list[int], size: int = 420) -> str:
    pts = np.concatenate([real, synth])
    lo, hi = pts.min(0), pts.max(0)
    span = np.maximum(hi - lo, 1e-9)

    def xy(p):
        q = (p - lo) / span * (size - 40) + 20
        return q[0], size - q[1]

    dots = []
    for p in synth:
        x, y = xy(p)
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f77b4" fill-opacity="0.5"/>')
    for i, p in enumerate(real):
        x, y = xy(p)
        stroke = ' stroke="black" stroke-width="1.5"' if i in worst else ""
        dots.append(f'<circle class="real" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#d62728" '
                    f'fill-opacity="0.7"{stroke}/>')
    legend = ('<text x="10" y="14" font-size="12" fill="#1f77b4">&#9679; renders</text>'
              '<text x="90" y="14" font-size="12" fill="#d62728">&#9679; real frames (ringed: least covered)</text>')
    return (f'<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'style="border:1px solid #ccc;background:#fff">{legend}{"".join(dots)}</svg>')


def _table(header: list[str], rows: list[list]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def summary(res: GapResult) -> dict:
    cov, rea = res.coverage, res.realism
    out = {
        "dataset": str(res.dataset), "video": str(res.video), "model": str(res.model) if res.model else None,
        "embedding": res.embedding,
        "real_frames": [int(i) for i in res.real_frames], "synthetic_frames": [int(i) for i in res.synth_frames],
        "coverage": {
            "nearest_distance": np.round(cov.nearest_distance, 4).tolist(),
            "nearest_renders": [[int(res.synth_frames[j]) for j in row] for row in cov.nearest_renders],
            "synthetic_nn_distance_median": cov.synthetic_nn_distance_median,
            "uncovered_threshold": cov.uncovered_threshold,
            "uncovered_fraction": cov.uncovered_fraction,
            "least_covered_real_frames": [int(res.real_frames[i]) for i in cov.least_covered],
            "map_variance": cov.map_variance,
        },
        "realism": {
            "c2st_full": rea.c2st_full, "c2st_crop": rea.c2st_crop, "crop_px": rea.crop_px,
            "p_real_full": np.round(rea.p_real_full, 4).tolist(),
            "p_real_crop": np.round(rea.p_real_crop, 4).tolist(),
            "most_fake_renders": [int(res.synth_frames[i]) for i in rea.most_fake],
            "regions_xywh": rea.regions,
        },
        "behavior": asdict(res.behavior) if res.behavior else None,
        "estimate": res.estimate.to_json() if res.estimate else None,
        "estimate_validation": asdict(res.validation) if res.validation else None,
        "notes": res.notes,
    }
    return out


# A real frame is "doubtful" (likely wrong) when its prediction moves by more than this
# fraction of the frame's shorter side under the mirror or the 180-degree turn (24 px on
# 640x480, where the open-field mouse is ~115 px long), or when its predicted body is
# implausible (head/tail signal above DOUBT_HEADTAIL: ears outside the front half of the
# body by half its length, or a body length off the median by a factor e**0.5 = 1.65).
DOUBT_SHORT_SIDE = 0.05
DOUBT_HEADTAIL = 0.5


def _number(label: str = "", unit: str = "", lower: bool | None = None):
    """A gap number a sweep's report shows per arm: its name there, its unit ("%": a fraction
    shown in percent) and whether lower is better (None: not a property of the arm's data or
    model to rank arms by)."""
    return field(default=None, metadata={"label": label, "unit": unit, "lower": lower, "column": True})


def _column():
    """A gap number in a sweep's results.csv (``gap_<name>``) but not in its report's table."""
    return field(default=None, metadata={"column": True})


@dataclass
class GapNumbers:
    """The gap in a few numbers: one row of a sweep's table (docs/sweeps.md says what each means).

    The numbers, in the order a table shows them, are the fields marked as columns (a
    sweep's results.csv has them as ``gap_<name>``); those with a label are also in the
    sweep report's gap table. None where a number was not computed (no model, no labeled
    frames)."""

    doubtful: float | None = _number("doubtful real frames", "%", True)
    flip_px: float | None = _number("flip inconsistency", "px", True)
    rotate_px: float | None = _column()
    shift_px: float | None = _column()
    confidence: float | None = _column()
    coverage_median: float | None = _number("distance to the nearest render", "", True)
    coverage_mean: float | None = _column()
    uncovered: float | None = _number("uncovered real frames", "%", True)
    realism_full: float | None = _number("real-vs-render classifier accuracy", "%", True)
    realism_crop: float | None = _column()
    spearman: float | None = _number("estimate vs true error (Spearman)", "", None)
    real_frames: int | None = None
    renders: int | None = None
    embedding: str | None = None
    validation_frames: int | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> GapNumbers:
        """From ``to_json`` (a sweep's gap stage record); keys it does not know are ignored and
        missing ones are None, so records written before a number existed still read."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# the columns of a sweep's results.csv (gap_<name>), in order
HEADLINE = tuple(f.name for f in fields(GapNumbers) if f.metadata.get("column"))
# the numbers of a sweep report's gap table: name -> (name shown, unit, lower is better)
GAP_NUMBERS = {f.name: (f.metadata["label"], f.metadata["unit"], f.metadata["lower"])
         for f in fields(GapNumbers) if f.metadata.get("label")}

# A real frame is "doubtful" (likely wrong) when its prediction moves by more than this
# fraction of the frame's shorter side under the mirror or the 180-degree turn (24 px on
# 640x480, where the open-field mouse is ~115 px long), or when its predicted body is
# implausible (head/tail signal above DOUBT_HEADTAIL: ears outside the front half of the
# body by half its length, or a body length off the median by a factor e**0.5 = 1.65).
DOUBT_SHORT_SIDE = 0.05
DOUBT_HEADTAIL = 0.5


def headline(res: GapResult) -> GapNumbers:
    """The gap in a few numbers.

    The estimate's combined ``score`` is left out on purpose: it is a rank among the
    sampled frames, so its mean is 0.5 for every model. Its raw signals are in pixels on
    the same real frames, so they compare across models."""
    cov, rea = res.coverage, res.realism
    d = np.asarray(cov.nearest_distance, float)
    out = GapNumbers(real_frames=len(res.real_images), renders=len(res.synth_images), embedding=res.embedding,
                     coverage_median=float(np.median(d)), coverage_mean=float(np.mean(d)),
                     uncovered=float(cov.uncovered_fraction), realism_full=float(rea.c2st_full),
                     realism_crop=float(rea.c2st_crop))
    if res.estimate:
        sig = {k: np.asarray(v, float) for k, v in res.estimate.signals.items()}
        short = np.array([min(im.shape[:2]) for im in res.real_images], float)
        doubt = (np.maximum(sig["flip"], sig["rotate"]) > DOUBT_SHORT_SIDE * short) | (sig["headtail"] > DOUBT_HEADTAIL)
        out.doubtful, out.flip_px = float(doubt.mean()), float(np.median(sig["flip"]))
        out.rotate_px, out.shift_px = float(np.median(sig["rotate"])), float(np.median(sig["shift"]))
        out.confidence = float(1 - np.mean(sig["confidence"]))
    if res.validation:
        out.spearman, out.validation_frames = res.validation.spearman, res.validation.frames
    return out


def verdict(res: GapResult) -> list[str]:
    """Plain sentences for a lab deciding: render more, change the scene, or label more?"""
    cov, rea = res.coverage, res.realism
    out = [f"{100 * cov.uncovered_fraction:.0f}% of the real frames are farther from every render than "
           f"95% of renders are from their nearest other render (uncovered)."]
    out.append(f"A linear classifier tells real from rendered with {100 * rea.c2st_full:.0f}% accuracy on full "
               f"frames and {100 * rea.c2st_crop:.0f}% on {rea.crop_px} px animal crops (50% = indistinguishable).")
    if res.behavior and res.behavior.warning:
        out.append(res.behavior.warning)
    if res.behavior:
        out += [f"Scene misses {m}." for m in res.behavior.misses] or ["The renders cover every bin the real "
                                                                       "animal visits in >= 10% of frames."]
    if res.validation and res.validation.spearman is not None:
        out.append(f"On {res.validation.frames} labeled frames the estimate's rank correlation with the true "
                   f"error is {res.validation.spearman:.2f} (Spearman).")
    return out


def write(res: GapResult, out: Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = summary(res)
    data["verdict"] = verdict(res)
    from simgen.dataset.writer import atomic_write_text

    atomic_write_text(out / "gap.json", json.dumps(data, indent=1))
    atomic_write_text(out / "report.html", render_html(res, data))
    return {"json": out / "gap.json", "html": out / "report.html"}


def render_html(res: GapResult, data: dict) -> str:
    cov, rea = res.coverage, res.realism
    parts = [f"<h1>Sim-to-real gap</h1><p>renders: <code>{html.escape(str(res.dataset))}</code> "
             f"({len(res.synth_images)} sampled); real: <code>{html.escape(str(res.video))}</code> "
             f"({len(res.real_images)} frames sampled); model: <code>{html.escape(str(res.model))}</code></p>"]
    parts.append("<h2>Verdict</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in data["verdict"]) + "</ul>")
    for n in res.notes:
        parts.append(f"<p class='note'>{html.escape(n)}</p>")
    # coverage
    parts.append(f"<h2>Coverage</h2><p>Embedding: {html.escape(res.embedding)}, standardised. Median "
                 f"render-to-render nearest distance {cov.synthetic_nn_distance_median:.2f}; uncovered above "
                 f"{cov.uncovered_threshold:.2f}.</p>")
    parts.append(f"<h3>Map (PCA of both sets; axes explain {100 * cov.map_variance[0]:.0f}% and "
                 f"{100 * cov.map_variance[1]:.0f}%)</h3>")
    parts.append(_svg_map(cov.map_real, cov.map_synthetic, cov.least_covered))
    rows = []
    for i in cov.least_covered:
        near = " ".join(_thumb(res.synth_images[j], 160) for j in cov.nearest_renders[i])
        rows.append([f"frame {int(res.real_frames[i])}<br>distance {cov.nearest_distance[i]:.2f}",
                     _thumb(res.real_images[i], 200), near])
    parts.append("<h3>Least covered real frames, with their nearest renders</h3>")
    parts.append(_table(["real frame", "image", "nearest renders"], rows))
    # behavior
    if res.behavior:
        parts.append(f"<h2>Behavior coverage</h2><p>Real: the model's predictions on {res.behavior.n_real} "
                     f"frames; synthetic: ground truth of {res.behavior.n_synthetic} renders. Distances to the "
                     "image border stand in for distances to the wall when the arena fills the view.</p>")
        for name, h in res.behavior.bins.items():
            rows = [[html.escape(b), f"{100 * h['real'][b]:.0f}%", f"{100 * h['synthetic'][b]:.0f}%"]
                    for b in h["real"]]
            parts.append(f"<h3>{html.escape(name.replace('_', ' '))}</h3>" + _table(["bin", "real", "renders"], rows))
        if res.behavior.warning:
            parts.append(f"<p class='note'>{html.escape(res.behavior.warning)}</p>")
        if res.behavior.misses:
            parts.append("<p><b>The scene misses:</b></p><ul>" +
                         "".join(f"<li>{html.escape(m)}</li>" for m in res.behavior.misses) + "</ul>")
    # realism
    parts.append(f"<h2>Realism</h2><p>Held-out accuracy of a real-vs-render classifier: full frames "
                 f"{100 * rea.c2st_full:.0f}%, animal crops {100 * rea.c2st_crop:.0f}%.</p>"
                 "<h3>Most fake renders (magenta: the grid cell that gives it away)</h3>")
    rows = []
    for k, i in enumerate(rea.most_fake):
        box = rea.regions[k] if k < len(rea.regions) else None
        rows.append([f"render {int(res.synth_frames[i])}", f"{rea.p_real_full[i]:.2f}",
                     f"{rea.p_real_crop[i]:.2f}", _thumb(res.synth_images[i], 220, box=box)])
    parts.append(_table(["render", "p(real) full", "p(real) crop", "image"], rows))
    # estimate
    if res.estimate:
        score = np.asarray(res.estimate.score)
        parts.append("<h2>Label-free accuracy estimate</h2><p>Per real frame: flip, 180-degree turn and shift "
                     "consistency, heatmap confidence, head/tail plausibility (and temporal jumps on consecutive "
                     "frames), combined as the mean rank (1 = the most doubtful frame).</p>")
        if res.validation:
            v = res.validation
            sig = ", ".join(f"{k} {x:.2f}" for k, x in v.spearman_per_signal.items() if x is not None)
            rho = "n/a" if v.spearman is None else f"{v.spearman:.2f}"
            parts.append(f"<p id='validation'><b>Validation</b> on {v.frames} labeled frames "
                         f"(<code>{html.escape(v.labeled)}</code>, true mean error "
                         f"{v.true_mean_error:.1f} px): Spearman rank correlation of the estimate with the "
                         f"true per-frame error <b>{rho}</b> (per signal: {sig}).</p>")
        rows = []
        for i in np.argsort(-score)[:8]:
            sig = "<br>".join(f"{k} {v[i]:.2f}" for k, v in res.estimate.signals.items())
            rows.append([f"frame {int(res.real_frames[i])}", f"{score[i]:.2f}", sig,
                         _thumb(res.real_images[i], 220, points=res.estimate.xy[i])])
        parts.append("<h3>Most doubtful real frames (x: predictions)</h3>")
        parts.append(_table(["frame", "score", "signals", "image"], rows))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:20px auto;color:#222}"
             "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px;"
             "vertical-align:top;font-size:13px}img{margin:1px}.note{color:#a60}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>simgen gap</title><style>{style}</style>"
            f"</head><body>{''.join(parts)}</body></html>")
