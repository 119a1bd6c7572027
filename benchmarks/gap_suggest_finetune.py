"""Does labeling the frames `simgen suggest` picks beat labeling random frames?

The dev labels play the labeler: picks are restricted to the labeled frames. The picks
come from the label-free estimate and the model's features (no label is looked at);
for each seed, 10 random frames are drawn. Each set fine-tunes the synthetic-only model
(``--init``) for ``--steps`` steps on those 10 real frames, with the model's own synthetic
data kept in the batches (``pose train``'s ``init_mix``, default 0.5; ``--init-mix 0`` for
real frames only); both are tested on the frames in neither set (the same test frames for
both arms of a seed). Give one ``--model`` for every seed, or one per seed (in the order of
``--seeds``): then each seed picks with its own model. ``--strategy`` is suggest's. A
fine-tuned arm whose folder already holds a model trained on the same frames (its
``frames.json``) is evaluated again, not retrained (the random arm of another strategy);
a killed fine-tune resumes from its checkpoint.

python benchmarks/gap_suggest_finetune.py --model out/synthetic_raw_s0 [out/synthetic_raw_s1 ...] \
    --labeled ../shared/data/openfield/dev --out out/gap_finetune [--n 10] [--seeds 0 1 2] [--steps 100]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from simgen.gap.suggest import DEFAULT_STRATEGY


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, type=Path, nargs="+")
    ap.add_argument("--labeled", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--strategy", default=DEFAULT_STRATEGY, help=f"suggest's --strategy (default {DEFAULT_STRATEGY})")
    ap.add_argument("--min-gap", type=int, default=0, help="suggest's --min-gap, in labeled frames (the dev "
                    "frames are in video order: 1 keeps picks off each other's neighbours)")
    ap.add_argument("--init-mix", type=float, default=None,
                    help="share of batches from the model's synthetic data (default: the model's config)")
    a = ap.parse_args()
    if len(a.model) not in (1, len(a.seeds)):
        ap.error("give one --model, or one per seed")

    from simgen.gap.embed import embed
    from simgen.gap.estimate import estimate
    from simgen.gap.suggest import STRATEGIES
    from simgen.pose.config import PoseConfig
    from simgen.pose.data import SourceSpec
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model
    from simgen.pose.train import train

    a.out.mkdir(parents=True, exist_ok=True)
    results = {"n": a.n, "steps": a.steps, "init_mix": a.init_mix, "strategy": a.strategy,
               "min_gap": a.min_gap, "seeds": {}}
    picker = STRATEGIES[a.strategy]
    for si, seed in enumerate(a.seeds):
        model_path = a.model[si if len(a.model) > 1 else 0]
        base = load_model(model_path)
        ev0 = evaluate(base, str(a.labeled))
        imgs = [ev0.labels.load_image(i) for i in range(len(ev0.labels))]
        est = estimate(base, imgs)
        picked = picker(est.score, embed(imgs, base), np.arange(len(imgs)), a.n, min_gap=a.min_gap)
        err0 = ev0.frame_errors()
        print(seed, "picked", picked, flush=True)
        rnd = sorted(np.random.default_rng(seed).choice(len(imgs), a.n, replace=False).tolist())
        test = [i for i in range(len(imgs)) if i not in picked and i not in rnd]
        row = {"model": str(model_path), "picked": picked, "random_frames": rnd, "test": test,
               "synthetic_only": float(np.nanmean(err0[test]))}
        for arm, frames in (("suggest", picked), ("random", rnd)):
            known = {k: v for k, v in base.config.items() if k in PoseConfig.model_fields}
            mix = {} if a.init_mix is None else {"init_mix": a.init_mix}
            cfg = PoseConfig.model_validate({**known, **mix, "steps": a.steps, "seed": seed, "val_fraction": 0.0,
                                             "threads": a.threads, "val_every": a.steps,
                                             "checkpoint_every": a.steps})
            t0 = time.time()
            out = a.out / f"{arm}_s{seed}"
            done, want = out / "frames.json", [int(i) for i in frames]
            if (json.loads(done.read_text()) if done.exists() else want if not out.exists() else None) != want:
                raise SystemExit(f"{out}: holds a model of other (or unrecorded) frames; choose a new --out")
            if not (out / "model.pt").exists():  # a killed run resumes from its checkpoint
                out.mkdir(parents=True, exist_ok=True)
                done.write_text(json.dumps(want))
                train([SourceSpec(a.labeled, frames=tuple(frames))], out, cfg, init=model_path, progress=False,
                      log=lambda s: None, resume=(out / "checkpoint.pt").exists())
            ev = evaluate(load_model(out), SourceSpec(a.labeled, frames=tuple(test)))
            row[arm] = float(np.nanmean(ev.frame_errors()))
            row[arm + "_rmse"] = ev.metrics["all"]["rmse"]
            row[arm + "_s"] = round(time.time() - t0)
            print(seed, arm, row[arm], flush=True)
        results["seeds"][seed] = row
        (a.out / "results.json").write_text(json.dumps(results, indent=1))
    s = [r["suggest"] for r in results["seeds"].values()]
    r = [r["random"] for r in results["seeds"].values()]
    results["mean"] = {"suggest": float(np.mean(s)), "suggest_sd": float(np.std(s)),
                       "random": float(np.mean(r)), "random_sd": float(np.std(r))}
    (a.out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results["mean"]))


if __name__ == "__main__":
    main()
