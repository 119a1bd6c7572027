"""Behavior coverage: where the animal is and how it lies, real (tracked) vs synthetic (truth).

Per frame, from keypoints in image pixels: the center (mean of the keypoints), the
distance from the center to the nearest image border as a fraction of the image's
shorter side (a stand-in for the distance to the wall when the arena fills the view),
the heading (tail base -> snout, image angle: 0 right, 90 down), and the body length
(snout to tail base) as a fraction of the shorter side. Real values come from the pose
model's predictions on the video; synthetic ones from the dataset's ground truth.
Each quantity is binned and the bins where the renders fall short are said in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.gap.estimate import SNOUT_NAMES, TAIL_NAMES, _find

BINS = {
    "border_distance": ([0, 0.05, 0.15, 0.3, 1.0], ["< 5%", "5-15%", "15-30%", "> 30%"],
                        "of the shorter image side from the nearest image border"),
    "heading": ([0, 45, 135, 225, 315, 360], ["right", "down", "left", "up", "right"], "heading"),
    "body_length": ([0, 0.1, 0.2, 0.3, 10.0], ["< 10%", "10-20%", "20-30%", "> 30%"],
                    "body length (snout-tail base) as a fraction of the shorter side"),
}


def quantities(xy: np.ndarray, sizes: np.ndarray, keypoints: list[str]) -> dict[str, np.ndarray]:
    """xy (N, K, 2) with NaN where unknown; sizes (N, 2) width, height."""
    with np.errstate(all="ignore"):
        c = np.nanmean(xy, axis=1)
    short = sizes.min(axis=1).astype(float)
    w, h = sizes[:, 0].astype(float), sizes[:, 1].astype(float)
    border = np.minimum.reduce([c[:, 0], c[:, 1], w - 1 - c[:, 0], h - 1 - c[:, 1]]) / short
    out = {"border_distance": np.clip(border, 0, None)}
    s, t = _find(keypoints, SNOUT_NAMES), _find(keypoints, TAIL_NAMES)
    if s is not None and t is not None:
        v = xy[:, s] - xy[:, t]
        out["heading"] = np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360
        out["body_length"] = np.linalg.norm(v, axis=1) / short
    return out


def histogram(x: np.ndarray, name: str) -> dict[str, float]:
    edges, labels, _ = BINS[name]
    x = x[np.isfinite(x)]
    counts = np.histogram(x, bins=edges)[0].astype(float)
    out: dict[str, float] = {}
    for lab, c in zip(labels, counts):
        out[lab] = out.get(lab, 0.0) + c
    total = max(len(x), 1)
    return {k: v / total for k, v in out.items()}


@dataclass
class Behavior:
    # quantity -> {"real": bin -> fraction of frames, "synthetic": bin -> fraction}
    bins: dict[str, dict[str, dict[str, float]]]
    misses: list[str]  # a sentence per bin the real animal visits and the renders hardly do
    warning: str | None  # the real numbers come from predictions that look broken
    n_real: int  # frames behind the real numbers (the model's predictions)
    n_synthetic: int  # renders behind the synthetic ones (ground truth)


def compare(real: dict[str, np.ndarray], synth: dict[str, np.ndarray]) -> Behavior:
    """Per quantity: real and synthetic bin fractions, and sentences for the bins the scene misses
    (``real`` and ``synth`` as ``quantities`` gives them)."""
    out, words = {}, []
    for name in BINS:
        if name not in real or name not in synth:
            continue
        hr, hs = histogram(real[name], name), histogram(synth[name], name)
        out[name] = {"real": hr, "synthetic": hs}
        desc = BINS[name][2]
        for b in hr:
            if hr[b] >= 0.1 and hs[b] < 0.5 * hr[b]:
                what = f"heading {b}" if name == "heading" else f"{b} {desc}"
                words.append(f"{what}: the real animal is there in {100 * hr[b]:.0f}% of frames; "
                             f"the scene puts it there in {100 * hs[b]:.0f}%")
    warning = None
    if "body_length" in real and "body_length" in synth:
        mr, ms = np.nanmedian(real["body_length"]), np.nanmedian(synth["body_length"])
        if np.isfinite(mr) and np.isfinite(ms) and (mr < 0.5 * ms or mr > 2 * ms):
            warning = (f"The model's tracking looks broken on this video: its median snout-tail base length is "
                       f"{100 * mr:.0f}% of the shorter side, the renders' {100 * ms:.0f}%; the real behavior "
                       "numbers come from these predictions, so read them with care.")
    def frames(q: dict[str, np.ndarray]) -> int:
        return len(next(iter(q.values()))) if q else 0

    return Behavior(out, words, warning, frames(real), frames(synth))
