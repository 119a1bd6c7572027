"""Coverage: does every real frame have renders that look like it (in feature space)?

Features are standardised over both sets together. For each real frame: the distance
to its nearest render and which renders those are. The scale is set by the renders
themselves: a real frame is "uncovered" when its nearest render is farther than the
95th percentile of the renders' own nearest-neighbour distances (render to another
render), i.e. farther than almost any render is from the rest of the synthetic set.
The 2-D map is a PCA of both sets (fitted on the pooled features).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.gap.embed import standardize


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(d2, 0, None))


def pca2(x: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """2-D projection of rows and the variance fraction of each axis."""
    c = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(c, full_matrices=False)
    var = (s**2) / max(float((s**2).sum()), 1e-12)
    return c @ vt[:2].T, [float(v) for v in var[:2]]


@dataclass
class Coverage:
    """Indices are rows of the sampled real frames and renders (not video or dataset frames)."""

    nearest_distance: np.ndarray  # (R,) per real frame, to its nearest render
    nearest_renders: np.ndarray  # (R, k) the k nearest renders of each real frame
    synthetic_nn_distance_median: float  # median render-to-other-render nearest distance
    uncovered_threshold: float  # 95th percentile of those distances
    uncovered_fraction: float  # real frames farther than the threshold from every render
    least_covered: list[int]  # real frames, farthest first
    map_real: np.ndarray  # (R, 2) PCA map
    map_synthetic: np.ndarray  # (S, 2)
    map_variance: list[float]  # variance fraction of the two map axes


def coverage(real_feats: np.ndarray, synth_feats: np.ndarray, k: int = 3, worst: int = 8) -> Coverage:
    r, s = standardize(real_feats, synth_feats)
    d = _pairwise(r, s)
    nn = np.argsort(d, axis=1)[:, :k]
    nearest = d[np.arange(len(r)), nn[:, 0]]
    ss = _pairwise(s, s)
    np.fill_diagonal(ss, np.inf)
    synth_nn = ss.min(axis=1) if len(s) > 1 else np.array([np.nan])
    threshold = float(np.nanpercentile(synth_nn, 95))
    xy, var = pca2(np.concatenate([r, s]))
    order = np.argsort(-nearest)
    return Coverage(
        nearest_distance=nearest,
        nearest_renders=nn,
        synthetic_nn_distance_median=float(np.nanmedian(synth_nn)),
        uncovered_threshold=threshold,
        uncovered_fraction=float(np.mean(nearest > threshold)),
        least_covered=order[:worst].tolist(),
        map_real=xy[: len(r)],
        map_synthetic=xy[len(r):],
        map_variance=var,
    )
