"""Sim2real on the DeepLabCut open-field frames: what synthetic labels are worth.

    python benchmarks/sim2real_openfield.py --real-labeled ../shared/data/openfield/dev \
        --real-video ../shared/data/openfield/video/m3v1.mp4 \
        --synthetic out/openfield_synth --render-frames 320 --out out/sim2real \
        [--style-model FASTCUT_DIR CYCLEGAN_DIR] [--steps 500] [--synthetic-steps 1000] [--finetune-steps 250] \
        [--seeds 0 1 2] [--finetune-mix 0.5 0] [--full-rotation]

Every cell is an error on real labeled frames that the row did not train on. The 40
dev frames are split in contiguous blocks of the video (``--split contiguous``, the
default): a row with k real labels trains on frames 0..k-1 and is tested on frames
k+gap..39 (``--gap``, default 2, keeps the frames next to the training block out of
the test), because neighbouring frames are near-duplicates and a random split flatters
every row. ``--split random`` is the old shuffle (``--seed``). Rows:
- real labels only, k = 5, 10, 20, 30;
- synthetic only (zero real labels), tested on all 40: raw renders, then the renders
  translated by the classic style (fitted here to ``--real-video``, seconds) and by each
  ``--style-model`` (learned models from ``simgen style train``, applied here); one row
  per ``--seeds`` value (suffix ``_s<seed>``);
- synthetic pretraining (``--init`` from the ``--finetune-from`` synthetic model of the
  same seed) + k real labels, k = ``--finetune-k``, once per ``--finetune-mix``: the share
  of batches that keep coming from the synthetic data (``pose train``'s ``init_mix``;
  0 = fine-tuning on the real labels alone). Suffix ``_mix<percent>``.
``--tta`` adds, for every row, the same model evaluated with test-time flips (``<row>_tta``).
Keypoints are read with each model's body prior (pose/body_prior.py); ``--decode argmax``
or ``both`` evaluates each model without it too (``<row>_argmax``).
Each row also reports head/tail swaps (frames whose predicted snout is nearer the
labeled tail base than the labeled snout) and the mean error by heading (4 bins of the
labeled tail-base -> snout direction in the image) and by distance of the body to the
arena wall (the floor's edges in the real images, ``FLOOR_BOX``). A summary table gives
mean and spread (sample std) over seeds.
``--render-frames N`` renders (or resumes) N frames of ``--scene`` at ``--preset`` into
``--synthetic`` first; without it the dataset must exist. Rows without their input are
left out, never filled in. A row whose model folder is complete is evaluated again, not
retrained, so an interrupted run resumes. Each synthetic-only model is kept in
``OUT/synthetic_<style>_s<seed>/`` with ``COMMAND.txt``, the command that re-trains it, so
anyone can run ``simgen pose evaluate OUT/synthetic_raw_s0 OTHER_LABELED``. The tables
(markdown) and the wall time go to stdout and ``OUT/table.md`` (rewritten after every
row); metrics per row to ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shlex
import sys
import time
from pathlib import Path

HEADER = ["| row | real labels k | test frames | RMSE px | mean error px (DLC's \"RMSE\") | median px "
          "| PCK@5 | PCK@10 | head/tail swaps | train s |", "|---|---|---|---|---|---|---|---|---|---|"]
# Inner floor of the open field in the real 640x480 frames (x0, y0, x1, y1), read off
# dev/img0020.png by eye: the wall bands end here. Only used to bin errors by distance.
FLOOR_BOX = (18.0, 48.0, 616.0, 462.0)
HEADING_BINS = ["right", "down", "left", "up"]  # image directions of tail base -> snout, 90 deg each
WALL_BINS = [(0, 40, "<40 px"), (40, 100, "40-100 px"), (100, 1e9, ">100 px")]


def frame_bins(gt):
    """Per frame (heading bin, wall-distance bin) from the labels (snout 0, tail base 3)."""
    import numpy as np

    vec = gt[:, 0, :2] - gt[:, 3, :2]
    ang = (np.degrees(np.arctan2(vec[:, 1], vec[:, 0])) + 45) % 360  # image y points down
    heading = [HEADING_BINS[int(a // 90)] for a in ang]
    ok = gt[..., 2] > 0
    centre = np.array([gt[i, ok[i], :2].mean(axis=0) for i in range(len(gt))])
    x0, y0, x1, y1 = FLOOR_BOX
    dist = np.minimum.reduce([centre[:, 0] - x0, x1 - centre[:, 0], centre[:, 1] - y0, y1 - centre[:, 1]])
    wall = [next(lab for lo, hi, lab in WALL_BINS if lo <= d < hi) for d in np.maximum(dist, 0)]
    return heading, wall


def headings_deg(xyv):
    """Image heading (deg) of tail base (3) -> snout (0) per frame."""
    import numpy as np

    vec = xyv[:, 0, :2] - xyv[:, 3, :2]
    return np.degrees(np.arctan2(vec[:, 1], vec[:, 0]))


def novel_heading_mask(test_deg, train_deg, min_diff: float = 45.0):
    """Test frames whose heading differs by more than ``min_diff`` from every training frame's."""
    import numpy as np

    d = np.abs((np.asarray(test_deg)[:, None] - np.asarray(train_deg)[None, :] + 180) % 360 - 180)
    return d.min(axis=1) > min_diff


def _row(name: str, k: int, model: Path, spec, n_test: int, seconds: float, train_deg=None,
         tta: bool = False, decode: str = "prior") -> dict:
    from simgen.pose.evaluate import evaluate, write_report
    from simgen.pose.model import load_model
    from simgen.pose.train import refit_prior

    tm = load_model(model)
    if tm.prior is None:  # saved before the body prior: fitted now on its recorded training sources
        refit_prior(tm, log=lambda s: None)
    if decode == "argmax":
        tm.read_argmaxes()
    ev = evaluate(tm, spec, tta=tta)
    write_report(ev, model / ("eval" + ("_tta" if tta else "") + ("_argmax" if decode == "argmax" else "")),
                 tm.keypoints)
    m = ev.metrics["all"]
    per_kp = {kp: v["rmse"] for kp, v in ev.metrics["per_keypoint"].items()}
    err = ev.frame_errors()
    heading, wall = frame_bins(ev.gt)
    names = [ev.labels.image_name(i) for i in range(len(ev.labels))]

    def by(bins, labels):
        out = {}
        for lab in labels:
            sel = [e for e, b in zip(err, bins) if b == lab]
            out[lab] = {"frames": len(sel), "mean_error": float(sum(sel) / len(sel)) if sel else None}
        return out

    ht = ev.metrics["head_tail"]
    worst = sorted(range(len(err)), key=lambda i: -err[i])[:5]
    novel = None
    if train_deg is not None and len(train_deg):
        import numpy as np

        sel = novel_heading_mask(headings_deg(ev.gt), train_deg)
        d = np.linalg.norm(ev.pred - ev.gt[..., :2], axis=-1)[sel][ev.gt[sel][..., 2] > 0]
        novel = {"frames": int(sel.sum()), "mean_error": float(d.mean()) if d.size else None,
                 "rmse": float(np.sqrt((d ** 2).mean())) if d.size else None}
    return {"row": name, "k": k, "test_frames": n_test, "rmse": m["rmse"], "mean_error": m["mean_error"],
            "median_error": m["median_error"], "pck5": m["pck5"], "pck10": m["pck10"],
            "swaps": ht["swapped"], "swap_rate": ht["rate"], "swapped_frames": [names[i] for i in ht["frames_swapped"]],
            "by_heading": by(heading, HEADING_BINS), "by_wall_distance": by(wall, [w[2] for w in WALL_BINS]),
            "worst_frames": [(names[i], round(float(err[i]), 1)) for i in worst],
            "novel_heading": novel,  # test frames > 45 deg from every training frame's heading
            "train_seconds": round(seconds, 1), "model": str(model), "per_keypoint_rmse": per_kp,
            "tta": tta}


def _summary(rows: list[dict]) -> list[str]:
    """Mean and sample std over seeds of rows named ``<group>_s<seed>``, and the error by
    heading / wall distance (mean over seeds)."""
    import re

    import numpy as np

    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(re.sub(r"_s\d+", "", r["row"]), []).append(r)
    f = lambda v: f"{np.mean(v):.2f}" + (f" +- {np.std(v, ddof=1):.2f}" if len(v) > 1 else "")  # noqa: E731
    lines = ["", "| row (over seeds) | seeds | mean error px | RMSE px | PCK@10 % | head/tail swap % | "
             + " | ".join(f"heading {h}" for h in HEADING_BINS) + " | "
             + " | ".join(f"wall {w[2]}" for w in WALL_BINS) + " |",
             "|---|---|---|---|---|---|" + "---|" * (len(HEADING_BINS) + len(WALL_BINS))]
    for g, rs in groups.items():
        cells = [f(np.array([r["mean_error"] for r in rs])), f(np.array([r["rmse"] for r in rs])),
                 f(100 * np.array([r["pck10"] for r in rs])), f(100 * np.array([r["swap_rate"] or 0 for r in rs]))]
        for key, labs in (("by_heading", HEADING_BINS), ("by_wall_distance", [w[2] for w in WALL_BINS])):
            for lab in labs:
                v = [r[key][lab]["mean_error"] for r in rs if r[key][lab]["mean_error"] is not None]
                n = rs[0][key][lab]["frames"]
                cells.append(f"{np.mean(v):.1f} (n={n})" if v else "-")
        lines.append(f"| {g} | {len(rs)} | " + " | ".join(cells) + " |")
    return lines


def _table(rows: list[dict], wall: float, done: bool) -> str:
    lines = list(HEADER)
    for r in rows:
        lines.append(f"| {r['row']} | {r['k']} | {r['test_frames']} | {r['rmse']:.2f} | {r['mean_error']:.2f} | "
                     f"{r['median_error']:.2f} | {r['pck5']:.0%} | {r['pck10']:.0%} | "
                     f"{r['swaps']}/{r['test_frames']} | {r['train_seconds']:.0f} |")
    if rows:
        lines += _summary(rows)
        nov = [r for r in rows if r.get("novel_heading")]
        if nov:
            lines += ["", "Test frames whose heading differs by more than 45 deg from every training frame's:"]
            for r in nov:
                v = r["novel_heading"]
                lines.append(f"- {r['row']}: {v['frames']} frames" + (
                    f", mean error {v['mean_error']:.2f} px, RMSE {v['rmse']:.2f} px" if v["frames"] else ""))
    lines += ["", f"command: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`  ",
              f"wall time: {wall / 60:.1f} min" + ("" if done else " (still running)")]
    return "\n".join(lines)


def _render(args) -> None:
    from simgen.render.run import render

    t = time.time()
    res = render(args.scene, args.synthetic, frames=args.render_frames, preset=args.preset,
                 overrides=args.render_set, progress=True)
    print(f"[render] {args.synthetic}: {len(res.rendered)} rendered, {len(res.skipped)} already there "
          f"({time.time() - t:.0f} s)", flush=True)


def _styled(args, model: Path, name: str) -> Path:
    """Apply a style model to the synthetic dataset (resumable; the gate drops frames that moved)."""
    from simgen.style.apply import apply_style

    out = args.out / "data" / f"synthetic_{name}"
    t = time.time()
    rep = apply_style(model, args.synthetic, out, seed=args.seed, progress=False)
    s = rep.summary()
    print(f"[style {name}] {s['written']} translated, {s['skipped']} reused, {s['dropped']} dropped by the gate, "
          f"median drift {s['median_drift_px']}, {time.time() - t:.0f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real-labeled", required=True, type=Path, help="DeepLabCut project with the real labels")
    ap.add_argument("--real-video", type=Path, help="real video for the classic style (adds a styled row)")
    ap.add_argument("--synthetic", type=Path, help="simgen dataset of the open field (rendered with --render-frames)")
    ap.add_argument("--render-frames", type=int, help="render (or resume) this many frames into --synthetic first")
    ap.add_argument("--scene", type=Path, default=Path(__file__).parents[1] / "scenes" / "openfield.yaml")
    ap.add_argument("--preset", default="fast", help="render preset of --render-frames")
    ap.add_argument("--render-set", action="append", default=[], metavar="PATH=VALUE",
                    help="scene override of --render-frames, e.g. 'render.resolution=[320, 240]'")
    ap.add_argument("--style-model", type=Path, nargs="*", default=[],
                    help="trained style models (simgen style train); each adds a synthetic-only row")
    ap.add_argument("--out", type=Path, default=Path("out/sim2real"))
    ap.add_argument("--config", default=None, help="pose config (bundled name or YAML); default: default")
    ap.add_argument("--steps", type=int, default=None, help="training steps of each real-only row")
    ap.add_argument("--synthetic-steps", type=int, default=None, help="steps of each synthetic-only row "
                                                                      "(default: --steps)")
    ap.add_argument("--finetune-steps", type=int, default=500, help="steps of each fine-tuning row")
    ap.add_argument("--finetune-from", default=None, help="synthetic row to fine-tune from: raw, classic, or a "
                                                          "style model's method (default: classic if there, else raw)")
    ap.add_argument("--real-k", type=int, nargs="*", default=[5, 10, 20, 30])
    ap.add_argument("--finetune-k", type=int, nargs="*", default=[5, 10, 20])
    ap.add_argument("--seed", type=int, default=0, help="seed of the real-only rows and of --split random")
    ap.add_argument("--seeds", type=int, nargs="+", default=None,
                    help="seeds of the synthetic and fine-tuning rows (default: --seed)")
    ap.add_argument("--finetune-seeds", type=int, nargs="*", default=None,
                    help="seeds that get fine-tuning rows (default: every --seeds value)")
    ap.add_argument("--split", choices=["contiguous", "random"], default="contiguous")
    ap.add_argument("--gap", type=int, default=2, help="contiguous split: frames left out after the training block")
    ap.add_argument("--finetune-mix", type=float, nargs="+", default=[0.5],
                    help="share of fine-tuning batches from the synthetic data (one row set per value; 0 = real only)")
    ap.add_argument("--full-rotation", action="store_true", help="rotation augmentation over any angle (all rows)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--decode", choices=["prior", "argmax", "both"], default="prior",
                    help="read keypoints with each model's body prior, as argmaxes (rows <name>_argmax), or both "
                         "(a model saved before the prior gets one fitted on its training sources)")
    ap.add_argument("--tta", action="store_true",
                    help="also evaluate every row with test-time flips (a row <name>_tta; docs/pose.md)")
    args = ap.parse_args(argv)
    args.out = args.out.resolve()
    decodes = ["prior", "argmax"] if args.decode == "both" else [args.decode]

    import numpy as np

    from simgen.export.labels import read_dlc
    from simgen.pose.config import load_config
    from simgen.pose.data import SourceSpec, select_keypoints
    from simgen.pose.model import MODEL_FILE
    from simgen.pose.train import train

    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.render_frames:
        if args.synthetic is None:
            ap.error("--render-frames needs --synthetic DIR")
        _render(args)
    dev = read_dlc(args.real_labeled)
    n = len(dev)
    dev_deg = headings_deg(select_keypoints(dev, ["snout", "leftear", "rightear", "tailbase"]))
    if args.split == "random":
        order, gap = [int(i) for i in np.random.default_rng(args.seed).permutation(n)], 0
    else:
        order, gap = list(range(n)), args.gap
    seeds = args.seeds or [args.seed]
    base = load_config(args.config)
    if args.steps:
        base = base.model_copy(update={"steps": args.steps})
    if args.full_rotation:
        base = base.model_copy(update={"augment": base.augment.model_copy(update={"rotation_deg": 180.0})})
    # No validation split: with a handful of real labels every frame goes to training,
    # and the test frames must never steer training.
    base = base.model_copy(update={"val_fraction": 0.0, "seed": args.seed, "threads": args.threads})
    real = lambda rows: SourceSpec(args.real_labeled, frames=tuple(rows))  # noqa: E731
    rows: list[dict] = []

    def save(done: bool = False) -> None:
        wall = time.time() - t0
        (args.out / "table.md").write_text(_table(rows, wall, done) + "\n")
        (args.out / "results.json").write_text(json.dumps({"rows": rows, "wall_seconds": wall, "order": order,
                                                           "done": done}, indent=1))

    def run(name: str, k: int, sources, cfg, test_rows, init=None) -> Path:
        out = args.out / name
        t = time.time()
        if not (out / MODEL_FILE).exists():
            train(sources, out, cfg, init=init, resume=(out / "checkpoint.pt").exists(), progress=False,
                  log=lambda s: print(f"[{name}] {s}", flush=True))
        trained_on = [i for i in sources[0].frames] if sources and sources[0].path == args.real_labeled else []
        for dec, tta in itertools.product(decodes, [False] + ([True] if args.tta else [])):
            rows.append(_row(name + ("_tta" if tta else "") + ("_argmax" if dec == "argmax" else ""), k, out,
                             real(test_rows), len(test_rows), time.time() - t,
                             train_deg=dev_deg[trained_on] if trained_on else None, tta=tta, decode=dec))
            print(json.dumps(rows[-1]), flush=True)
        save()
        return out

    for k in args.real_k:
        run(f"real_k{k}", k, [real(order[:k])], base, order[k + gap:])
    if args.synthetic is not None:
        syn_cfg = base.model_copy(update={"keypoints": "openfield_dlc"})
        if args.synthetic_steps:
            syn_cfg = syn_cfg.model_copy(update={"steps": args.synthetic_steps})
        methods = {m: json.loads((m / "style.json").read_text())["method"] for m in args.style_model}
        start = args.finetune_from or ("classic" if args.real_video is not None else "raw")
        known = ["raw"] + (["classic"] if args.real_video is not None else []) + list(methods.values())
        if start not in known:  # checked before any style work starts
            ap.error(f"--finetune-from {start}: no such synthetic row (have: {', '.join(known)})")
        datasets = {"raw": args.synthetic.resolve()}
        styles: dict[str, Path] = {}
        if args.real_video is not None:
            from simgen.style.train import train_style

            classic = args.out / "style_classic"
            if not (classic / "style.json").exists():
                train_style(args.synthetic, args.real_video, classic, method="classic", seed=args.seed, progress=False)
            datasets["classic"] = _styled(args, classic, "classic")
            styles["classic"] = classic
        for model, method in methods.items():
            datasets[method] = _styled(args, model, method)
            styles[method] = model.resolve()
        synth: dict[tuple[str, int], Path] = {}

        def synthetic_row(style: str, seed: int) -> None:
            data = datasets[style]
            cfg = syn_cfg.model_copy(update={"seed": seed})
            out = synth[(style, seed)] = run(f"synthetic_{style}_s{seed}", 0, [SourceSpec(data)], cfg, order)
            cmd = (f"simgen pose train {shlex.quote(str(data))} --out {shlex.quote(str(out))} "
                   f"--keypoints openfield_dlc --steps {syn_cfg.steps}"
                   + (" --full-rotation" if args.full_rotation else "")
                   + (f" --config {args.config}" if args.config else ""))
            if style != "raw":
                model = styles[style]
                cmd = (f"simgen style apply {shlex.quote(str(model))} {shlex.quote(str(datasets['raw']))} "
                       f"--out {shlex.quote(str(data))} --seed {args.seed}\n" + cmd)
                if style == "classic":
                    cmd = (f"simgen style train --synthetic {shlex.quote(str(datasets['raw']))} --real "
                           f"{shlex.quote(str(args.real_video.resolve()))} --out {shlex.quote(str(model))} "
                           f"--method classic --seed {args.seed}\n" + cmd)
            note = ("# The benchmark trained with val_fraction 0 (every frame) and seed "
                    f"{seed}; this command keeps the config's validation split, so its numbers differ "
                    "slightly.\n")
            (out / "COMMAND.txt").write_text(note + cmd + "\n")

        # per seed: raw and the fine-tuning start first, then the fine-tuning rows; other styles last
        for seed in seeds:
            for style in dict.fromkeys(["raw", start]):
                synthetic_row(style, seed)
            for mix in (args.finetune_mix if args.finetune_seeds is None or seed in args.finetune_seeds else []):
                tune = base.model_copy(update={"steps": args.finetune_steps, "keypoints": "openfield_dlc",
                                               "seed": seed, "init_mix": mix})
                for k in args.finetune_k:
                    run(f"synthetic_{start}_plus_k{k}_mix{round(100 * mix)}_s{seed}", k, [real(order[:k])], tune,
                        order[k + gap:], init=synth[(start, seed)])
        for seed in seeds:
            for style in datasets:
                if (style, seed) not in synth:
                    synthetic_row(style, seed)

    save(done=True)
    print(_table(rows, time.time() - t0, True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
