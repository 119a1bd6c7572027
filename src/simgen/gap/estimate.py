"""A label-free accuracy estimate of a pose model, per real frame.

Signals (all in the frame's pixels unless said otherwise; larger = worse):
- ``flip``: mean distance between the prediction and the prediction on the
  horizontally mirrored frame mapped back (x -> W-1-x, left/right pairs swapped by the
  model's swap pairs). A model that knows where the keypoints are agrees with itself.
- ``shift``: mean distance between the prediction and the predictions on the frame
  translated by a few pixels (translation mapped back), averaged over the shifts.
- ``rotate``: the same for the frame turned by 180 degrees (x -> W-1-x, y -> H-1-y; no
  left/right swap): a top-down camera sees a turned mouse as just another mouse.
- ``confidence``: 1 - mean heatmap peak (sigmoid) over keypoints.
- ``headtail``: for a model with a snout and a tail base (and optionally ears), how far
  the ears' midpoint falls outside the front half of the snout->tail-base segment (in
  units of that segment's length), plus how far the snout-tail distance is from the
  frames' median (|log ratio|). Zero for a plausible body; 0 when the keypoints are missing.
- ``jump`` (video only): the mean keypoint displacement from the previous and to the next
  frame, minus the median displacement (an animal does not teleport between frames).

``score`` combines them without labels and without tuning: each signal is turned into
its rank fraction among the frames (0 = best, 1 = worst; ties share a rank) and the
fractions are averaged. A ranking, not a pixel error: use it to order frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simgen.pose.data import swap_permutation
from simgen.pose.model import TrainedModel

SHIFTS = ((8, 6), (-8, -6))  # px in the frame
SNOUT_NAMES = ("snout", "nose")
TAIL_NAMES = ("tailbase", "tail_base", "tail", "tailroot")


@dataclass
class Estimate:
    xy: np.ndarray  # (N, K, 2) predictions in frame pixels
    conf: np.ndarray  # (N, K)
    signals: dict[str, np.ndarray]  # name -> (N,)
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (N,) rank-combined, higher = worse

    def as_reported(self) -> Estimate:
        """Score and signals to the 4 decimals gap.json keeps (``to_json``), so numbers computed
        from them (``report.headline``) follow from the file."""
        return Estimate(self.xy, self.conf, {k: np.round(v, 4) for k, v in self.signals.items()},
                        self.score.round(4))

    def to_json(self) -> dict:
        return {"score": self.score.round(4).tolist(),
                "signals": {k: np.round(v, 4).tolist() for k, v in self.signals.items()}}


@dataclass
class Validation:
    """The estimate against the true per-frame error on labeled frames."""

    frames: int  # labeled frames with a finite error
    true_mean_error: float | None  # px
    spearman: float | None  # of the combined score (None: too few frames or a constant score)
    spearman_per_signal: dict[str, float | None]
    labeled: str = ""  # the labeled data (PATH[,frames=A:B])


def _shift(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _mean_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1).mean(axis=-1)


def _find(names: list[str], options: tuple[str, ...]) -> int | None:
    low = [n.lower() for n in names]
    for o in options:
        if o in low:
            return low.index(o)
    return None


def headtail_signal(xy: np.ndarray, keypoints: list[str]) -> np.ndarray:
    """Anatomical implausibility of each frame's predicted body (0 = plausible)."""
    n = len(xy)
    s, t = _find(keypoints, SNOUT_NAMES), _find(keypoints, TAIL_NAMES)
    if s is None or t is None or n == 0:
        return np.zeros(n)
    axis = xy[:, t] - xy[:, s]
    length = np.linalg.norm(axis, axis=-1)
    safe = np.maximum(length, 1e-6)
    out = np.abs(np.log(safe / max(float(np.median(safe)), 1e-6)))
    ears = [i for i, k in enumerate(keypoints) if "ear" in k.lower()]
    if ears:
        mid = xy[:, ears].mean(axis=1)
        u = np.einsum("nd,nd->n", mid - xy[:, s], axis) / safe**2  # 0 at the snout, 1 at the tail base
        out = out + np.clip(-u, 0, None) + np.clip(u - 0.5, 0, None)
    return out


def jump_signal(xy: np.ndarray) -> np.ndarray:
    """Displacement to the neighbouring frames beyond the typical one (consecutive frames)."""
    n = len(xy)
    if n < 3:
        return np.zeros(n)
    step = _mean_dist(xy[1:], xy[:-1])  # (N-1,)
    prev = np.concatenate([[step[0]], step])
    nxt = np.concatenate([step, [step[-1]]])
    both = np.minimum(prev, nxt)  # a single wrong frame jumps away AND back
    return np.clip(both - np.median(step), 0, None)


def rank_fraction(x: np.ndarray) -> np.ndarray:
    """0 for the smallest value, 1 for the largest; ties share their mean rank."""
    x = np.asarray(x, float)
    if len(x) < 2:
        return np.zeros(len(x))
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    for g in np.nonzero(counts > 1)[0]:  # tied values share their mean rank
        ranks[inv == g] = ranks[inv == g].mean()
    return ranks / (len(x) - 1)


def estimate(model: TrainedModel, frames: list[np.ndarray], consecutive: bool = False,
             batch_size: int = 16) -> Estimate:
    """The signals and the combined score for RGB uint8 ``frames`` (one animal each)."""
    from simgen.pose.predict import predict_images

    xy, conf = predict_images(model, frames, batch_size)
    perm = swap_permutation(model.keypoints, model.swap_pairs)
    fxy, _ = predict_images(model, (np.ascontiguousarray(f[:, ::-1]) for f in frames), batch_size)
    widths = np.array([f.shape[1] for f in frames], float)
    fxy[..., 0] = widths[:, None] - 1 - fxy[..., 0]
    fxy = fxy[:, perm]
    rxy, _ = predict_images(model, (np.ascontiguousarray(f[::-1, ::-1]) for f in frames), batch_size)
    heights = np.array([f.shape[0] for f in frames], float)
    rxy[..., 0] = widths[:, None] - 1 - rxy[..., 0]
    rxy[..., 1] = heights[:, None] - 1 - rxy[..., 1]
    shift = np.zeros(len(frames))
    for dx, dy in SHIFTS:
        sxy, _ = predict_images(model, (_shift(f, dx, dy) for f in frames), batch_size)
        shift += _mean_dist(sxy - np.array([dx, dy]), xy) / len(SHIFTS)
    signals = {
        "flip": _mean_dist(fxy, xy),
        "rotate": _mean_dist(rxy, xy),
        "shift": shift,
        "confidence": 1.0 - conf.mean(axis=1),
        "headtail": headtail_signal(xy, model.keypoints),
    }
    if consecutive:
        signals["jump"] = jump_signal(xy)
    return Estimate(xy, conf, signals, combine(signals))


def combine(signals: dict[str, np.ndarray]) -> np.ndarray:
    """Mean rank fraction over the signals that vary (a constant signal carries no ranking)."""
    used = [rank_fraction(v) for v in signals.values() if len(v) and np.ptp(v) > 0]
    if not used:
        n = len(next(iter(signals.values()))) if signals else 0
        return np.zeros(n)
    return np.mean(used, axis=0)


def validate(est: Estimate, true_error: np.ndarray) -> Validation:
    """Spearman rank correlation of the score and of each signal with the true per-frame error."""
    from scipy.stats import spearmanr

    ok = np.isfinite(true_error)

    def rho(x: np.ndarray) -> float | None:
        if ok.sum() < 3 or np.ptp(x[ok]) == 0:
            return None
        return float(spearmanr(x[ok], true_error[ok]).statistic)

    return Validation(frames=int(ok.sum()), true_mean_error=float(np.nanmean(true_error)) if ok.any() else None,
                      spearman=rho(est.score), spearman_per_signal={k: rho(v) for k, v in est.signals.items()})
