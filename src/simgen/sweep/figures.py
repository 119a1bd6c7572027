"""Pictures of a sweep report: inline SVG (chart, error histograms) and small PNGs of frames
with keypoints drawn (PIL only, no matplotlib: fast and the same look everywhere).

Colors are the Okabe-Ito palette, which stays distinguishable for the common forms of
color blindness; labels are circles and predictions crosses, so shape carries the
meaning too.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np

# colours of Okabe & Ito (2008), safe for colour-blind readers
BAR = "#0072B2"  # blue
DOT = "#E69F00"  # orange
REF = "#D55E00"  # vermillion: the trivial baseline
MUTED = "#999999"  # degenerate arms
KP_COLORS = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#000000"]


def _e(x) -> str:
    return html.escape(str(x))


def nice_step(raw: float) -> float:
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for f in (1, 2, 2.5, 5, 10):
        if raw <= f * mag:
            return f * mag
    return 10 * mag


def interval_chart(rows: list[dict], label: str, ref: float | None = None, ref_label: str = "",
                   pct: bool = False) -> str:
    """Horizontal bars per arm. ``rows``: name, value, lo, hi (95 % interval), seeds (values per
    seed), degenerate (bool). Whiskers are the interval, dots the seeds; a dashed line marks ``ref``."""
    vals = [v for r in rows for v in [r["value"], r["hi"], *r["seeds"]] if v is not None and np.isfinite(v)]
    off_chart = ref is not None and np.isfinite(ref) and vals and ref > 2.5 * max(vals)
    if ref is not None and np.isfinite(ref) and not off_chart:
        vals.append(ref)
    top = max(vals + [1e-9])
    if pct:
        top = max(top, 1e-9)
    step = nice_step(top / 5)
    xmax = step * (int(top / step) + 1)
    left, width, row_h, pad = 230, 560, 28, 30
    height = pad + row_h * len(rows) + 44 + (16 if ref is not None else 0)
    def sx(v):
        return left + width * v / xmax

    out = [(f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}" '
            f'role="img" aria-label="{_e(label)}" style="font:13px system-ui,sans-serif">')]
    t, base = 0.0, height - 38 - (16 if ref is not None else 0)
    while t <= xmax + 1e-9:
        x = sx(t)
        txt = f"{t * 100:g}%" if pct else f"{t:g}"
        out.append(f'<line x1="{x:.1f}" y1="{pad - 6}" x2="{x:.1f}" y2="{base + 4}" stroke="#e4e4e4"/>'
                   f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle" fill="#555">{txt}</text>')
        t += step
    out.append(f'<text x="{left + width / 2}" y="{base + 34}" text-anchor="middle">{_e(label)}</text>')
    for i, r in enumerate(rows):
        y = pad + i * row_h
        cy = y + row_h / 2
        out.append(f'<text x="{left - 8}" y="{cy + 4}" text-anchor="end">{_e(r["name"])}</text>')
        v = r["value"]
        if v is None or not np.isfinite(v):
            out.append(f'<text x="{left + 4}" y="{cy + 4}" fill="#b00">no result</text>')
            continue
        bad = bool(r.get("degenerate"))
        tip = f'{r["name"]}: {r.get("tip", "")}'
        cls, fill = ("bar degenerate", MUTED) if bad else ("bar", BAR)
        out.append(f'<rect class="{cls}" x="{left}" y="{y + 5}" width="{max(sx(v) - left, 1):.1f}" '
                   f'height="{row_h - 10}" fill="{fill}"><title>{_e(tip)}</title></rect>')
        lo, hi = r.get("lo"), r.get("hi")
        if bad:
            right = max([v] + [x for x in (hi, *r["seeds"]) if x is not None and np.isfinite(x)])
            out.append(f'<text x="{sx(right) + 10:.1f}" y="{cy + 4}" fill="#a33c00" font-weight="bold">'
                       "degenerate</text>")
        if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi) and hi > lo:
            a, b = sx(lo), sx(hi)
            out.append(f'<line class="ci" x1="{a:.1f}" y1="{cy}" x2="{b:.1f}" y2="{cy}" stroke="#222" stroke-width="1.5"/>'
                       f'<line x1="{a:.1f}" y1="{cy - 6}" x2="{a:.1f}" y2="{cy + 6}" stroke="#222"/>'
                       f'<line x1="{b:.1f}" y1="{cy - 6}" x2="{b:.1f}" y2="{cy + 6}" stroke="#222"/>')
        for s in r["seeds"]:
            if s is not None and np.isfinite(s):
                out.append(f'<circle class="seed" cx="{sx(s):.1f}" cy="{cy}" r="4" fill="{DOT}" stroke="#222" '
                           'stroke-width=".7"/>')
    if off_chart:  # far beyond every arm: a note instead of squashing the bars
        out.append(f'<text x="{left + width + 116}" y="{height - 4}" text-anchor="end" fill="{REF}">'
                   f'{_e(ref_label)}: {ref * 100 if pct else ref:.0f}{"%" if pct else " px"} (off the chart) '
                   "&#8594;</text>")
    elif ref is not None and np.isfinite(ref):
        x = sx(ref)
        out.append(f'<line x1="{x:.1f}" y1="{pad - 10}" x2="{x:.1f}" y2="{base + 4}" stroke="{REF}" '
                   f'stroke-width="2" stroke-dasharray="6 4"/>'
                   f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="{REF}">{_e(ref_label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def histogram(d: np.ndarray, xmax: float, bins: int = 24, width: int = 260, height: int = 90,
              scale: float | None = None, color: str = BAR) -> str:
    """Small SVG histogram of the pixel errors ``d`` (NaN ignored) on a shared 0..xmax axis."""
    d = d[np.isfinite(d)]
    counts, edges = np.histogram(np.clip(d, 0, xmax), bins=bins, range=(0, xmax))
    top = max(int(counts.max()) if counts.size else 0, 1)
    pad_b, pad_l = 18, 4
    h = height - pad_b
    bw = (width - pad_l) / bins
    out = [(f'<svg class="hist" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="font:11px system-ui,sans-serif">'),
           f'<line x1="{pad_l}" y1="{h}" x2="{width}" y2="{h}" stroke="#888"/>']
    for i, c in enumerate(counts):
        bh = h * c / top
        out.append(f'<rect x="{pad_l + i * bw:.1f}" y="{h - bh:.1f}" width="{bw - 1:.1f}" height="{bh:.1f}" '
                   f'fill="{color}"><title>{edges[i]:.0f}-{edges[i + 1]:.0f} px: {c}</title></rect>')
    if scale and scale < xmax:
        x = pad_l + (width - pad_l) * scale / xmax
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{h}" stroke="{REF}" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{pad_l}" y="{height - 4}" fill="#555">0</text>'
               f'<text x="{width - 2}" y="{height - 4}" text-anchor="end" fill="#555">{xmax:.0f} px'
               f'{"+" if d.size and d.max() > xmax else ""}</text></svg>')
    return "".join(out)


def _font(size: int):
    from PIL import ImageFont

    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _marker(draw, xy, kind: str, color: str, r: float, width: int = 2) -> None:
    x, y = xy
    if kind == "o":
        draw.ellipse([x - r, y - r, x + r, y + r], outline="#000000", width=width + 2)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=color, width=width)
    else:
        for dx, dy in ((r, r), (r, -r)):
            draw.line([x - dx, y - dy, x + dx, y + dy], fill="#000000", width=width + 2)
        for dx, dy in ((r, r), (r, -r)):
            draw.line([x - dx, y - dy, x + dx, y + dy], fill=color, width=width)


def frame_panel(img: np.ndarray, path: Path, labels: np.ndarray | None = None, pred: np.ndarray | None = None,
                centre: tuple[float, float] | None = None, window: float | None = None, size: int = 220,
                title: str = "") -> Path:
    """A square PNG of ``img``: the ``window`` px box around ``centre`` (None: the whole image), scaled
    to ``size`` px, labels (K, 3) as circles and predictions (K, 2) as crosses, one color per keypoint;
    predictions outside the box are drawn as arrows at its edge. A title line on top."""
    from PIL import Image, ImageDraw

    h, w = img.shape[:2]
    if centre is None or window is None:
        box = (0.0, 0.0, float(w), float(h))
    else:
        half = window / 2
        box = (centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)
    bw, bh = box[2] - box[0], box[3] - box[1]
    k = size / max(bw, bh)
    out_w, out_h = round(bw * k), round(bh * k)
    im = Image.fromarray(img).convert("RGB").transform((out_w, out_h), Image.EXTENT, box, Image.BILINEAR,
                                                      fillcolor=(40, 40, 40))
    title_h = 18 if title else 0
    canvas = Image.new("RGB", (out_w, out_h + title_h), "white")
    canvas.paste(im, (0, title_h))
    draw = ImageDraw.Draw(canvas)
    def to(p):
        return ((p[0] - box[0]) * k, (p[1] - box[1]) * k + title_h)

    r = max(4.0, size / 45)
    n = 0 if labels is None else len(labels)
    n = max(n, 0 if pred is None else len(pred))
    for j in range(n):
        c = KP_COLORS[j % len(KP_COLORS)]
        if labels is not None and labels[j, 2] > 0 and np.isfinite(labels[j, :2]).all():
            _marker(draw, to(labels[j]), "o", c, r)
            if pred is not None and np.isfinite(pred[j]).all():
                a, b = to(labels[j]), to(pred[j])
                draw.line([a, b], fill=c, width=1)
        if pred is not None and np.isfinite(pred[j]).all():
            x, y = to(pred[j])
            if 0 <= x <= out_w and title_h <= y <= out_h + title_h:
                _marker(draw, (x, y), "x", c, r)
            else:  # outside the box: a triangle at the edge, pointing the way
                cx, cy = out_w / 2, title_h + out_h / 2
                dx, dy = x - cx, y - cy
                t = min((out_w / 2 - r) / abs(dx) if dx else 1e9, (out_h / 2 - r) / abs(dy) if dy else 1e9)
                ex, ey = cx + dx * t, cy + dy * t
                ang = math.atan2(dy, dx)
                pts = [(ex + r * 1.6 * math.cos(ang), ey + r * 1.6 * math.sin(ang)),
                       (ex + r * math.cos(ang + 2.4), ey + r * math.sin(ang + 2.4)),
                       (ex + r * math.cos(ang - 2.4), ey + r * math.sin(ang - 2.4))]
                draw.polygon(pts, fill=c, outline="#000000")
    if title:
        draw.text((3, 2), title, fill="#111111", font=_font(12))
    from simgen.dataset.writer import atomic_write

    with atomic_write(path, suffix=Path(path).suffix) as tmp:  # whole or none; errors name the file
        canvas.save(tmp, optimize=True)
    return path


def legend_html(keypoints: list[str]) -> str:
    items = "".join(f'<span class="kp"><span class="sw" style="background:{KP_COLORS[j % len(KP_COLORS)]}">'
                    f'</span>{_e(k)}</span>' for j, k in enumerate(keypoints))
    return (f'<p class="legend">{items} <span class="kp">&#9675; label</span> <span class="kp">&#10005; '
            "prediction</span> <span class=\"kp\">&#9650; prediction outside the box (points its way)</span></p>")
