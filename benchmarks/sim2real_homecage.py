"""Sim2real in a home cage (issue 32): two mice, bedding, clear walls, from a session's video to poses.

    python benchmarks/sim2real_homecage.py --video ../shared/data/homecage/video/s1025.mp4 \
        --real-labeled ../shared/data/homecage/dev --out out/sim2real_homecage \
        [--render-frames 300] [--synthetic-steps 800] [--finetune-steps 250] [--real-steps 250] \
        [--all-steps 500] [--seeds 0 1 2] [--rig-from DIR]

The stages, each printed with its time and skipped when its output is already there (so
an interrupted run resumes by running it again):
1. rig: ``simgen rig from-video VIDEO --out OUT/rig --samples S`` (no ``--arena``: the
   floor's scale comes from the animals). ``--rig-from DIR`` copies a finished rig output
   instead (the same command's output, made earlier).
2. render: ``--render-frames`` frames of ``OUT/rig/scene.yaml`` (two mice over the
   plates) into ``OUT/synthetic`` at ``--preset`` with ``--render-set`` (default 640x360,
   region rendering).
3. train and evaluate, per row and seed. Every model is top-down with its finding stage
   (``simgen pose train`` on a several-animal source); it predicts every labeled real
   frame through that stage (never the labeled boxes; ``topdown.pose_animals``, the path
   of ``simgen pose predict``), once per model (cached in ``MODEL/real_found.pkl``), and
   each test set is scored from those predictions (``evaluate.match_animals``,
   ``found_metrics``).

The labeled frames, sorted by name (= time), are split in contiguous blocks: ``--k``
(10) real labels train on frames 0..k-1, and the test block is frames k+gap..end
(``--gap``, 2: neighbours of the training block are near-duplicates). Rows:
- ``synthetic_s<seed>``: renders only (the bundled mouse's keypoints mapped to the
  labels' names by ``--keypoints``, default ``openfield_dlc``: snout, ears, tail base);
  tested on the test block, and on every labeled frame (``synthetic_all_s<seed>``);
- ``synthetic_plus_k<k>_s<seed>``: the synthetic model fine-tuned (``--init``) on the k
  real labels, ``--finetune-mix`` of the batches still from the renders;
- ``real_k<k>_s<seed>``: the k real labels alone;
- ``real_all_s<seed>``: real labels only, every frame outside a second test block, the
  last ``--all-test`` frames (a gap before it); the other rows are scored on that block
  too (``<row>@last<N>``) for comparison.
Per row: animals found (recall, precision), mean error and RMSE in px and in % of each
animal's snout-to-tail-base length, PCK@5%/10% of it, head/tail swaps, train and predict
seconds. A summary gives mean +- sd over seeds. Tables go to stdout and ``OUT/table.md``
(rewritten after every row), metrics to ``OUT/results.json``; each row's ``eval_<test>/``
holds metrics.json, predictions.csv and worst_frames.png, and ``predictions.png`` shows the
model's animals on 12 test frames.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

COLUMNS = ["row", "k", "test images", "animals", "recall", "precision", "mean px", "RMSE px", "mean %", "RMSE %",
           "PCK@5%", "PCK@10%", "head/tail swaps", "recall on / off the floor", "mean % on / off",
           "train s", "predict s"]


def _log(stage: str, msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] [{stage}] {msg}", flush=True)


def rig_stage(args) -> float:
    """OUT/rig from the video (or copied from --rig-from); seconds spent, 0 if it was there."""
    rig = args.out / "rig"
    if (rig / "scene.yaml").is_file():
        _log("rig", f"{rig / 'scene.yaml'} is there, not redone")
        return 0.0
    t = time.time()
    if args.rig_from is not None:
        shutil.copytree(args.rig_from, rig)
        _log("rig", f"copied {args.rig_from} (a finished `simgen rig from-video` output) to {rig}")
        return 0.0
    exe = Path(sys.executable).with_name("simgen")
    cmd = [str(exe) if exe.exists() else "simgen", "rig", "from-video", str(args.video), "--out", str(rig),
           "--samples", str(args.rig_samples)]
    _log("rig", " ".join(shlex.quote(c) for c in cmd))
    subprocess.run(cmd, check=True)
    _log("rig", f"done in {time.time() - t:.0f} s")
    return time.time() - t


def render_stage(args) -> float:
    from sim2real_openfield import _render  # the open-field benchmark's render stage (resumes)

    t = time.time()
    _log("render", f"{args.render_frames} frames of {args.out / 'rig' / 'scene.yaml'} -> {args.synthetic} "
                   f"(preset {args.preset}, {' '.join(args.render_set)})")
    _render(SimpleNamespace(scene=args.out / "rig" / "scene.yaml", synthetic=args.synthetic,
                            render_frames=args.render_frames, preset=args.preset, render_set=args.render_set))
    _log("render", f"done in {time.time() - t:.0f} s")
    return time.time() - t


def predict_real(model_dir: Path, inst, threshold: float | None = None, decode: str = "prior",
                 tta: bool = False) -> tuple[list, float]:
    """The model's animals in every labeled real image (finding stage, crops, pose), cached;
    ``threshold``: the finding stage's (None: the model's own); ``decode``: keypoints read
    with the model's body prior or as argmaxes (a model saved before the prior gets one
    fitted on its recorded training sources); ``tta``: test-time flips of each crop."""
    from simgen.pose.model import load_model
    from simgen.pose.topdown import pose_animals
    from simgen.pose.train import refit_prior

    cache = model_dir / f"real_found{'' if threshold is None else f'_t{threshold:g}'}_{decode}{'_tta' if tta else ''}.pkl"
    if cache.is_file():
        got = pickle.loads(cache.read_bytes())
        return got["found"], got["seconds"]
    t = time.time()
    tm = load_model(model_dir)
    if tm.prior is None:
        refit_prior(tm, log=lambda s: None)
    if decode == "argmax":
        tm.read_argmaxes()
    groups = inst.groups()
    found = []
    for i, f in enumerate(pose_animals(tm, (inst.labels.load_image(int(idx[0])) for idx in groups),
                                       threshold=threshold, tta=tta)):
        found.append(f)
        if (i + 1) % 25 == 0:
            _log("predict", f"{model_dir.name}: {i + 1}/{len(groups)} real images ({time.time() - t:.0f} s)")
    seconds = time.time() - t
    cache.write_bytes(pickle.dumps({"found": found, "seconds": seconds}))
    return found, seconds


def score(model_dir: Path, inst, found: list, images: list[int], out: Path, floor=None) -> dict:
    """Metrics of the cached predictions on the labeled images ``images`` (indices of
    ``inst.groups()``), as ``simgen pose evaluate`` computes them; report files in ``out``.
    ``floor``: the fitted floor's corners (image px); ``by_floor`` then splits the labeled
    animals by whether their centre lies on it (recall and mean error % each)."""
    import numpy as np

    from simgen.pose.data import select_keypoints, subset
    from simgen.pose.evaluate import Evaluation, found_metrics, match_animals, worst_sheet, write_report
    from simgen.pose.model import load_model
    tm = load_model(model_dir)
    images = sorted(images)  # rows in the labels' order, as subset_images keeps them
    groups = inst.groups()
    gt_all = select_keypoints(inst.labels, tm.keypoints)
    am = match_animals([found[i].xy for i in images], [gt_all[groups[i]] for i in images], tm.keypoints,
                       [found[i].conf for i in images], [found[i].boxes for i in images])
    rows = np.concatenate([groups[i] for i in images])
    gt = gt_all[rows]
    m = found_metrics(am, gt, tm.keypoints)
    m["topdown"] = {"boxes": "found by the model's finding stage (no labeled box is used)", "images": len(images)}
    labels = inst.subset_images(images).labels
    write_report(Evaluation(m, am.pred, am.conf, labels, gt), out, tm.keypoints)
    f = np.flatnonzero(am.found)
    if len(f):  # worst_frames.png shows the animals not found first; this one the found ones' errors
        worst_sheet(Evaluation({}, am.pred[f], am.conf[f], subset(labels, f), gt[f]), tm.keypoints,
                    out / "worst_found.png")
    if floor is not None:  # where the animals were: on the fitted floor (the bedding) or off it
        from matplotlib.path import Path as Polygon

        lab = gt[..., 2] > 0
        centre = np.array([g[v, :2].mean(axis=0) for g, v in zip(gt, lab)])
        on = Polygon(floor).contains_points(centre)
        d = np.linalg.norm(am.pred - gt[..., :2], axis=-1) / am.lengths[:, None]
        d = np.where(lab, d, np.nan)
        m["by_floor"] = {}
        for key, sel in (("on", on), ("off", ~on)):
            f = sel & am.found
            m["by_floor"][key] = {"labeled": int(sel.sum()), "found": int(f.sum()),
                                  "recall": float(f.sum() / sel.sum()) if sel.any() else None,
                                  "mean_pct": float(100 * np.nanmean(d[f])) if f.any() else None}
    return m


def sheet(inst, found: list, images: list[int], path: Path) -> None:
    """The model's animals on 12 of ``images`` spread over them (predict_animals.sheet)."""
    import numpy as np

    from simgen.pose.predict_animals import sheet as draw

    groups = inst.groups()
    pick = [images[int(i)] for i in np.linspace(0, len(images) - 1, min(12, len(images)))]
    draw([(inst.labels.image_name(int(groups[i][0])), inst.labels.load_image(int(groups[i][0])), found[i])
          for i in pick], path, tile_width=480)


def row_entry(name: str, k: int, m: dict, train_s: float, predict_s: float, model: Path) -> dict:
    a, px, rel, ht = m["animals"], m["all"], m["relative"]["all"], m["head_tail"] or {}
    return {"row": name, "k": k, "images": m["topdown"]["images"], "labeled": a["labeled"], "found": a["found"],
            "predicted": a["predicted"], "recall": a["recall"], "precision": a["precision"],
            "box_recall": a.get("box_recall"), "mean_px": px["mean_error"], "rmse_px": px["rmse"],
            "mean_pct": rel["mean_pct"], "rmse_pct": rel["rmse_pct"], "pck5": rel["pck5"], "pck10": rel["pck10"],
            "swaps": ht.get("swapped"), "swap_rate": ht.get("rate"), "length": m["relative"]["length"],
            "per_keypoint_mean_pct": {kp: v["mean_pct"] for kp, v in m["relative"]["per_keypoint"].items()},
            "by_floor": m.get("by_floor"), "train_seconds": round(train_s, 1), "predict_seconds": round(predict_s, 1), "model": str(model)}


def _cell(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _floor(r: dict, key: str, fmt: str) -> str:
    bf = r.get("by_floor")
    if not bf:
        return "-"
    return " / ".join(f"{_cell(bf[w][key], fmt)} (n={bf[w]['labeled']})" if key == "recall" else _cell(bf[w][key], fmt)
                      for w in ("on", "off"))


def table(rows: list[dict], stages: dict, wall: float, done: bool) -> str:
    import numpy as np

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append(f"| {r['row']} | {r['k']} | {r['images']} | {r['labeled']} | {_cell(r['recall'], '.1%')} | "
                     f"{_cell(r['precision'], '.1%')} | {_cell(r['mean_px'], '.1f')} | {_cell(r['rmse_px'], '.1f')} | "
                     f"{_cell(r['mean_pct'], '.2f')} | {_cell(r['rmse_pct'], '.2f')} | {_cell(r['pck5'], '.0%')} | "
                     f"{_cell(r['pck10'], '.0%')} | {r['swaps']}/{r['found']} | {_floor(r, 'recall', '.0%')} | "
                     f"{_floor(r, 'mean_pct', '.1f')} | {r['train_seconds']:.0f} | "
                     f"{r['predict_seconds']:.0f} |")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(re.sub(r"_s\d+", "", r["row"]), []).append(r)
    keys = [("recall", 100), ("precision", 100), ("mean_px", 1), ("rmse_px", 1), ("mean_pct", 1), ("rmse_pct", 1),
            ("pck5", 100), ("pck10", 100), ("swap_rate", 100), ("train_seconds", 1)]
    lines += ["", "| row (over seeds) | seeds | " + " | ".join(
        ["recall %", "precision %", "mean px", "RMSE px", "mean %", "RMSE %", "PCK@5% %", "PCK@10% %",
         "head/tail swap %", "train s"]) + " |", "|---|---|" + "---|" * len(keys)]
    for g, rs in groups.items():
        cells = []
        for key, mult in keys:
            v = np.array([r[key] for r in rs if r[key] is not None], float) * mult
            cells.append("-" if not v.size else f"{v.mean():.2f}" + (f" +- {v.std(ddof=1):.2f}" if v.size > 1 else ""))
        lines.append(f"| {g} | {len(rs)} | " + " | ".join(cells) + " |")
    lines += ["", "stages (over resumed runs): " + ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()),
              f"command: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`  ",
              f"wall time: {wall / 60:.1f} min" + ("" if done else " (still running)")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", required=True, type=Path, help="the session's video (or a folder of its frames)")
    ap.add_argument("--real-labeled", required=True, type=Path, help="its DeepLabCut multi-animal project")
    ap.add_argument("--out", type=Path, default=Path("out/sim2real_homecage"))
    ap.add_argument("--rig-from", type=Path, default=None,
                    help="a finished `simgen rig from-video` output of this video to use as the rig stage")
    ap.add_argument("--rig-samples", type=int, default=48, help="rig from-video --samples")
    ap.add_argument("--synthetic", type=Path, default=None, help="dataset folder (default OUT/synthetic)")
    ap.add_argument("--render-frames", type=int, default=300,
                    help="frames to render (or resume); 0: use --synthetic as it is (no rig or render stage)")
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--render-set", action="append", default=None, metavar="PATH=VALUE",
                    help="scene overrides of the render (default: render.resolution=[640,360], "
                         "render.reuse_background=true)")
    ap.add_argument("--keypoints", default="openfield_dlc", help="keypoint set mapping the renders to the labels")
    ap.add_argument("--config", default=None, help="pose config (bundled name or YAML); default: default")
    ap.add_argument("--synthetic-steps", type=int, default=800)
    ap.add_argument("--finetune-steps", type=int, default=250)
    ap.add_argument("--real-steps", type=int, default=250, help="steps of the real_k row")
    ap.add_argument("--all-steps", type=int, default=500, help="steps of the real_all row")
    ap.add_argument("--finder-steps", type=float, default=1.0,
                    help="finding-stage steps as a share of each row's pose steps")
    ap.add_argument("--input-size", type=int, nargs=2, default=None, metavar=("W", "H"),
                    help="pose model input (the crops; default: the config's)")
    ap.add_argument("--finder-input-size", type=int, nargs=2, default=None, metavar=("W", "H"),
                    help="finding-stage input (the whole image; default: the config's)")
    ap.add_argument("--rotation-deg", type=float, default=180.0,
                    help="rotation augmentation (+-; 180: any heading, as a top-down camera sees)")
    ap.add_argument("--k", type=int, default=10, help="real labels of the k rows (frames 0..k-1)")
    ap.add_argument("--gap", type=int, default=2)
    ap.add_argument("--all-test", type=int, default=35, help="the real_all row's test block: the last N frames")
    ap.add_argument("--finetune-mix", type=float, default=0.5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--rows", nargs="+", default=["synthetic", "finetune", "real_k", "real_all"],
                    choices=["synthetic", "finetune", "real_k", "real_all"])
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--tta", action="store_true", help="test-time flips of each crop (outputs named with _tta)")
    ap.add_argument("--decode", choices=["prior", "argmax"], default="prior",
                    help="read keypoints with each model's body prior (pose/body_prior.py) or as argmaxes; "
                         "argmax outputs are named with _argmax")
    ap.add_argument("--threshold", type=float, default=None,
                    help="finding-stage threshold at prediction (default: each model's own); the tables and "
                         "evaluation folders of another threshold are named with _t<T>")
    args = ap.parse_args(argv)
    args.out = args.out.resolve()
    args.synthetic = (args.synthetic or args.out / "synthetic").resolve()
    args.render_set = args.render_set or ["render.resolution=[640,360]", "render.reuse_background=true"]

    from simgen.pose.config import load_config
    from simgen.pose.data import SourceSpec
    from simgen.pose.model import MODEL_FILE
    from simgen.pose.topdown import load_instances
    from simgen.pose.train import train

    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    stages: dict[str, float] = {}
    rows: list[dict] = []

    # outputs of another finder threshold, or read as argmaxes
    tag = (("" if args.threshold is None else f"_t{args.threshold:g}") + ("_argmax" if args.decode == "argmax" else "")
           + ("_tta" if args.tta else ""))

    def save(done: bool = False) -> None:
        wall = time.time() - t0
        (args.out / f"table{tag}.md").write_text(table(rows, stages, wall, done) + "\n")
        (args.out / f"results{tag}.json").write_text(json.dumps({"rows": rows, "stages_seconds": stages,
                                                                "wall_seconds": wall, "done": done}, indent=1))

    needs_synth = bool({"synthetic", "finetune"} & set(args.rows))
    if needs_synth and args.render_frames:
        # each run's own seconds are added to the earlier runs' (a resumed render did part of the work)
        spent = args.out / "stage_seconds.json"
        stages.update(json.loads(spent.read_text()) if spent.is_file() else {})
        stages["rig"] = stages.get("rig", 0.0) + rig_stage(args)
        stages["render"] = stages.get("render", 0.0) + render_stage(args)
        spent.write_text(json.dumps(stages))
    elif needs_synth and not (args.synthetic / "dataset.json").is_file():
        ap.error(f"--render-frames 0 uses --synthetic as it is, and {args.synthetic} holds no dataset")

    real_path = args.real_labeled.resolve()
    inst = load_instances(SourceSpec(real_path))
    names = [inst.labels.image_name(int(g[0])) for g in inst.groups()]
    order = sorted(range(len(names)), key=lambda i: names[i])  # image names carry the frame number
    n, k = len(order), args.k
    test_k = order[k + args.gap:]
    test_last = order[n - args.all_test:]
    train_all = order[:n - args.all_test - args.gap]
    _log("split", f"{n} labeled images, {len(inst)} labeled animals; k rows train on {names[order[0]]}.."
                  f"{names[order[k - 1]]}, test on {len(test_k)} images from {names[test_k[0]]}; real_all trains "
                  f"on {len(train_all)}, tests on the last {len(test_last)} from {names[test_last[0]]}")
    real = lambda imgs: SourceSpec(real_path, frames=tuple(imgs))  # noqa: E731
    cam = args.out / "rig" / "camera.json"  # the floor rig from-video fitted (the bedding, in a cage)
    floor = json.loads(cam.read_text()).get("corners_px") if cam.is_file() else None

    base = load_config(args.config)
    if args.input_size:
        base = base.model_copy(update={"input_size": tuple(args.input_size)})
    if args.finder_input_size:
        base = base.model_copy(update={"finder": base.finder.model_copy(
            update={"input_size": tuple(args.finder_input_size)})})
    base = base.model_copy(update={
        "val_fraction": 0.0, "threads": args.threads,  # every label trains; the test frames never steer training
        "augment": base.augment.model_copy(update={"rotation_deg": args.rotation_deg})})

    def cfg_for(steps: int, seed: int, **extra):
        fs = max(1, round(args.finder_steps * steps))
        return base.model_copy(update={"steps": steps, "seed": seed, "finder": base.finder.model_copy(
            update={"steps": fs}), **extra})

    def run(name: str, k: int, sources, cfg, tests: dict[str, list[int]], init=None) -> Path:
        out = args.out / name
        t = time.time()
        done_before = (out / MODEL_FILE).exists()
        if not done_before:
            _log(name, f"training: {cfg.steps} pose steps + {cfg.finder.steps} finding-stage steps"
                       + (f", from {init.name}" if init else ""))
            train(sources, out, cfg, init=init, resume=(out / "checkpoint.pt").exists(), progress=False,
                  log=lambda s: _log(name, s))
            (out / "train_seconds.txt").write_text(f"{time.time() - t:.1f}\n")
            _log(name, f"trained in {time.time() - t:.0f} s")
        train_s = float((out / "train_seconds.txt").read_text()) if (out / "train_seconds.txt").exists() else 0.0
        found, predict_s = predict_real(out, inst, args.threshold, args.decode, args.tta)
        _log(name, f"predicted {len(found)} real images in {predict_s:.0f} s")
        for suffix, imgs in tests.items():
            m = score(out, inst, found, imgs, out / f"eval{suffix.replace('@', '_')}{tag}", floor)
            rows.append(row_entry(name + suffix, k, m, train_s, predict_s, out))
            _log(name + suffix, json.dumps({c: rows[-1][c] for c in ("recall", "precision", "mean_px", "rmse_px",
                                                                     "mean_pct", "pck10", "swaps")}))
        sheet(inst, found, next(iter(tests.values())), out / f"predictions{tag}.png")
        save()
        return out

    last = f"@last{args.all_test}"
    for seed in args.seeds:
        synth = None
        if needs_synth:
            cfg = cfg_for(args.synthetic_steps, seed, keypoints=args.keypoints)
            synth = run(f"synthetic_s{seed}", 0, [SourceSpec(args.synthetic)], cfg,
                        {"": test_k, "_all": order, last: test_last})
            cmd = (f"simgen pose train {shlex.quote(str(args.synthetic))} --out {shlex.quote(str(synth))} "
                   f"--keypoints {args.keypoints} --steps {args.synthetic_steps}"
                   + (" --full-rotation" if args.rotation_deg >= 180 else "")
                   + (f" --config {args.config}" if args.config else "")
                   + ("  # with a --config whose input_size is [{}, {}]".format(*args.input_size)
                      if args.input_size else "")
                   + f"\nsimgen pose evaluate {shlex.quote(str(synth))} {shlex.quote(str(real_path))}")
            (synth / "COMMAND.txt").write_text(
                f"# The benchmark trained with val_fraction 0, seed {seed} and {cfg.finder.steps} finding-stage "
                "steps; this command keeps the config's validation split, so its numbers differ slightly.\n"
                + cmd + "\n")
        if "finetune" in args.rows:
            cfg = cfg_for(args.finetune_steps, seed, keypoints=args.keypoints, init_mix=args.finetune_mix)
            run(f"synthetic_plus_k{k}_s{seed}", k, [real(order[:k])], cfg, {"": test_k, last: test_last},
                init=synth)
        if "real_k" in args.rows:
            run(f"real_k{k}_s{seed}", k, [real(order[:k])], cfg_for(args.real_steps, seed),
                {"": test_k, last: test_last})
        if "real_all" in args.rows:
            run(f"real_all_s{seed}", len(train_all), [real(train_all)], cfg_for(args.all_steps, seed),
                {last: test_last})
    save(done=True)
    print(table(rows, stages, time.time() - t0, True), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
