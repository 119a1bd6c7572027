"""Where a pose model's error sits on labeled test frames: decoders, seeds, body-frame bias.

For each model (e.g. the three seeds of one sim2real row) on the same test frames:
- the mean error / RMSE with several heatmap decoders (the shipped cell + offset; the
  cell centre alone; a quadratic fit to the log-heatmap; heat-weighted means over 3x3 and
  5x5 cells; the heat-weighted mean of cell + offset over 3x3);
- the mean signed error per keypoint along the body axis (tail base -> snout, labeled)
  and across it, on the test frames and on ``--train-frames``;
- with several models: the error of their averaged predictions (an ensemble), plain and
  with ``--tta``;
- with ``--offsets`` (needs ``--train-frames``): the error, with test-time flips, after
  removing each keypoint's mean offset along and across the *predicted* body axis,
  measured on the training frames (what a few labels would measure without retraining),
  and measured on the test frames themselves (an oracle: how much of the error is a
  constant offset).

.venv/bin/python benchmarks/pose_error_anatomy.py --labeled ../shared/data/openfield/dev \\
    --test-frames 12-39 --train-frames 0-9 MODEL [MODEL ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch


def _window_mean(heat, offsets, stride, r, use_offsets):
    from simgen.pose import heatmaps as H

    b, k, h, w = heat.shape
    conf, iy, ix = H._argmax(heat)
    ys = torch.arange(h).view(1, 1, h, 1).float()
    xs = torch.arange(w).view(1, 1, 1, w).float()
    wgt = heat * (((ys - iy[..., None, None]).abs() <= r) & ((xs - ix[..., None, None]).abs() <= r))
    s = wgt.sum((-1, -2)).clamp_min(1e-9)
    u, v = xs.expand(b, k, h, w), ys.expand(b, k, h, w)
    if use_offsets:
        u, v = u + offsets[:, :, 0], v + offsets[:, :, 1]
    uv = torch.stack([(wgt * u).sum((-1, -2)) / s, (wgt * v).sum((-1, -2)) / s], -1)
    return H.to_pixels(uv, stride), conf


def decoders():
    from simgen.pose.heatmaps import decode

    return {
        "offset (shipped)": decode,
        "cell centre": lambda h, o, s: decode(h, torch.zeros_like(o), s),
        "quadratic": lambda h, o, s: decode(h, None, s),
        "3x3 mean": lambda h, o, s: _window_mean(h, o, s, 1, False),
        "5x5 mean": lambda h, o, s: _window_mean(h, o, s, 2, False),
        "3x3 offset mean": lambda h, o, s: _window_mean(h, o, s, 1, True),
    }


def _axes(points: np.ndarray, head: int, tail: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the unit tail->head axis of ``points`` (F, K, 2) and its perpendicular."""
    ax = points[:, head] - points[:, tail]
    ax = ax / np.linalg.norm(ax, axis=1, keepdims=True)
    return ax, np.stack([-ax[:, 1], ax[:, 0]], 1)


def body_offsets(ev, head: int, tail: int, axis_from: str = "labels", stat=np.nanmean) -> np.ndarray:
    """(K, 2): each keypoint's mean (``stat``) signed error along and across the body axis,
    taken from the labels or from the predictions (what prediction time has)."""
    d = ev.pred - ev.gt[..., :2]
    ax, perp = _axes(ev.gt[..., :2] if axis_from == "labels" else ev.pred, head, tail)
    return np.stack([stat((d * ax[:, None]).sum(-1), 0), stat((d * perp[:, None]).sum(-1), 0)], -1)


def body_bias(ev, keypoints: list[str], head: int, tail: int, stat=np.nanmean) -> dict:
    """Mean (``stat``) signed error per keypoint: (along the labeled tail->head axis, across it)."""
    off = body_offsets(ev, head, tail, stat=stat)
    return {k: (round(float(o[0]), 2), round(float(o[1]), 2)) for k, o in zip(keypoints, off)}


def remove_offsets(pred: np.ndarray, offsets: np.ndarray, head: int, tail: int) -> np.ndarray:
    """Subtract (K, 2) offsets along and across each frame's predicted body axis."""
    ax, perp = _axes(pred, head, tail)
    return pred - offsets[None, :, :1] * ax[:, None] - offsets[None, :, 1:] * perp[:, None]


def frames(spec: str) -> tuple[int, ...]:
    a, _, b = spec.partition("-")
    return tuple(range(int(a), int(b or a) + 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--labeled", required=True, type=Path)
    ap.add_argument("--test-frames", required=True, type=frames, help="e.g. 12-39 (rows of the labeled frames)")
    ap.add_argument("--train-frames", type=frames, default=None, help="also the body-frame bias on these")
    ap.add_argument("--offsets", action="store_true",
                    help="also the --tta error with constant body-frame offsets removed (needs --train-frames)")
    a = ap.parse_args(argv)
    if a.offsets and not a.train_frames:
        ap.error("--offsets needs --train-frames")

    import simgen.pose.predict as P
    from simgen.errors import SimgenError
    from simgen.pose.data import SourceSpec
    from simgen.pose.evaluate import evaluate, head_tail_pair, metrics
    from simgen.pose.model import load_model

    try:
        models = [load_model(m) for m in a.models]
    except SimgenError as exc:
        raise SystemExit(f"error: {exc}") from None
    spec = SourceSpec(a.labeled, frames=a.test_frames)
    shipped = P.decode
    for path, model in zip(a.models, models):
        for name, fn in decoders().items():
            P.decode = fn  # predict_letterboxed decodes through this name
            try:
                m = evaluate(model, spec).metrics["all"]
            finally:
                P.decode = shipped
            print(f"{path}  {name:16s} mean {m['mean_error']:.2f}  rmse {m['rmse']:.2f}  median {m['median_error']:.2f}")
        pair = head_tail_pair(model.keypoints)
        if pair is not None:
            for what, rows in (("test", a.test_frames), ("train", a.train_frames)):
                if rows:
                    ev = evaluate(model, SourceSpec(a.labeled, frames=rows))
                    print(f"{path}  bias (along, across) on {what} frames: {body_bias(ev, model.keypoints, *pair)}")
                    print(f"{path}  median bias (along, across) on {what} frames (robust to a keypoint put on the "
                          f"wrong end): {body_bias(ev, model.keypoints, *pair, stat=np.nanmedian)}")
            if a.offsets:
                tr = evaluate(model, SourceSpec(a.labeled, frames=a.train_frames), tta=True)
                te = evaluate(model, spec, tta=True)
                off = body_offsets(tr, *pair, axis_from="predictions")
                rows = {"as predicted": te.pred, "train-frame offsets removed": remove_offsets(te.pred, off, *pair),
                        "test-frame offsets removed (oracle)": remove_offsets(te.pred, body_offsets(te, *pair, axis_from="predictions"), *pair)}
                for name, pred in rows.items():
                    m = metrics(pred, te.gt, model.keypoints)["all"]
                    print(f"{path}  --tta {name:36s} mean {m['mean_error']:.2f}  rmse {m['rmse']:.2f}")
                print(f"{path}  train-frame offsets (along, across the predicted axis): "
                      + ", ".join(f"{k} {o[0]:+.1f}/{o[1]:+.1f}" for k, o in zip(model.keypoints, off)))
    if len(models) > 1:
        for tta in (False, True):
            evs = [evaluate(m, spec, tta=tta) for m in models]
            pred = np.mean(np.stack([e.pred for e in evs]), axis=0)
            m = metrics(pred, evs[0].gt, models[0].keypoints)["all"]
            singles = " / ".join(f"{e.metrics['all']['mean_error']:.2f}" for e in evs)
            print(f"ensemble of {len(models)}{' --tta' if tta else ''}: mean {m['mean_error']:.2f}  "
                  f"rmse {m['rmse']:.2f}  (single models: {singles})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
