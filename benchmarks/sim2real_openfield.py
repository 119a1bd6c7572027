"""Sim2real on the DeepLabCut open-field frames: what synthetic labels are worth.

    python benchmarks/sim2real_openfield.py --real-labeled ../shared/data/openfield/dev \
        --synthetic out/openfield_synth --out out/sim2real [--steps 1500] [--finetune-steps 500]

Every cell is an error on real labeled frames that the row did not train on. The
40 dev frames are shuffled once (``--seed``); a row with k real labels trains on the
first k of that order and is tested on the other 40 - k. Rows:
- real labels only, k = 5, 10, 20, 30;
- synthetic only (zero real labels), tested on all 40, when ``--synthetic DIR`` (an
  already rendered simgen dataset) is given;
- synthetic pretraining (that model, ``--init``) + k real labels, k = 5, 10, 20.
Rows without their input are left out, never filled in. The synthetic-only model is
kept in ``OUT/synthetic_only/`` with the command that re-trains it, so anyone can run
``simgen pose evaluate OUT/synthetic_only OTHER_LABELED``. The table (markdown) and
the wall time go to stdout and ``OUT/table.md``; metrics per row to ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path


def _row(name: str, k: int, model: Path, spec, n_test: int, seconds: float) -> dict:
    from simgen.pose.evaluate import evaluate, write_report
    from simgen.pose.model import load_model

    tm = load_model(model)
    ev = evaluate(tm, spec)
    write_report(ev, model / "eval", tm.keypoints)
    m = ev.metrics["all"]
    return {"row": name, "k": k, "test_frames": n_test, "rmse": m["rmse"], "mean_error": m["mean_error"],
            "median_error": m["median_error"], "pck5": m["pck5"], "pck10": m["pck10"],
            "train_seconds": round(seconds, 1), "model": str(model)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real-labeled", required=True, type=Path, help="DeepLabCut project with the real labels")
    ap.add_argument("--synthetic", type=Path, help="rendered simgen dataset of the open field (optional)")
    ap.add_argument("--out", type=Path, default=Path("out/sim2real"))
    ap.add_argument("--config", default=None, help="pose config (bundled name or YAML); default: default")
    ap.add_argument("--steps", type=int, default=None, help="training steps of each from-scratch row")
    ap.add_argument("--finetune-steps", type=int, default=500, help="steps of each fine-tuning row")
    ap.add_argument("--real-k", type=int, nargs="*", default=[5, 10, 20, 30])
    ap.add_argument("--finetune-k", type=int, nargs="*", default=[5, 10, 20])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import numpy as np

    from simgen.export.labels import read_dlc
    from simgen.pose.config import load_config
    from simgen.pose.data import SourceSpec
    from simgen.pose.train import train

    t0 = time.time()
    n = len(read_dlc(args.real_labeled))
    order = [int(i) for i in np.random.default_rng(args.seed).permutation(n)]
    base = load_config(args.config)
    if args.steps:
        base = base.model_copy(update={"steps": args.steps})
    # No validation split: with a handful of real labels every frame goes to training,
    # and the test frames must never steer training.
    base = base.model_copy(update={"val_fraction": 0.0, "seed": args.seed})
    real = lambda rows: SourceSpec(args.real_labeled, frames=tuple(rows))  # noqa: E731
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []

    def run(name: str, k: int, sources, cfg, test_rows, init=None) -> Path:
        out = args.out / name
        t = time.time()
        train(sources, out, cfg, init=init, progress=False, log=lambda s: print(f"[{name}] {s}", flush=True))
        rows.append(_row(name, k, out, real(test_rows), len(test_rows), time.time() - t))
        print(json.dumps(rows[-1]), flush=True)
        return out

    for k in args.real_k:
        run(f"real_k{k}", k, [real(order[:k])], base, order[k:])
    if args.synthetic is not None:
        syn_cfg = base.model_copy(update={"keypoints": "openfield_dlc"})
        synth = run("synthetic_only", 0, [SourceSpec(args.synthetic)], syn_cfg, order)
        cmd = (f"simgen pose train {shlex.quote(str(args.synthetic))} --out {shlex.quote(str(synth))} "
               f"--keypoints openfield_dlc --steps {syn_cfg.steps}" + (f" --config {args.config}" if args.config else ""))
        (synth / "COMMAND.txt").write_text(cmd + "\n")
        tune = base.model_copy(update={"steps": args.finetune_steps, "keypoints": "openfield_dlc"})
        for k in args.finetune_k:
            run(f"synthetic_plus_k{k}", k, [real(order[:k])], tune, order[k:], init=synth)

    wall = time.time() - t0
    lines = ["| row | real labels k | test frames | RMSE px | mean error px (DLC's \"RMSE\") | median px "
             "| PCK@5 | PCK@10 | train s |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['row']} | {r['k']} | {r['test_frames']} | {r['rmse']:.2f} | {r['mean_error']:.2f} | "
                     f"{r['median_error']:.2f} | {r['pck5']:.0%} | {r['pck10']:.0%} | {r['train_seconds']:.0f} |")
    lines.append("")
    lines.append(f"command: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`  ")
    lines.append(f"wall time: {wall / 60:.1f} min")
    table = "\n".join(lines)
    (args.out / "table.md").write_text(table + "\n")
    (args.out / "results.json").write_text(json.dumps({"rows": rows, "wall_seconds": wall, "order": order}, indent=1))
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
