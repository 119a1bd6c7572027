"""Run one arm x seed as render -> (style) -> train -> evaluate (-> gap) through the stage store.

Each stage's inputs are what determines its output: the render's are the resolved
scene (after the arm's overrides, the preset and the seed) and the frame count; the
style's, the render plus method, iterations, seed and the real video; training's, the
dataset stage plus the full pose config (seed included); evaluation's, the model plus
the labeled data; the optional gap stage's (``gap:`` in the sweep file), the model, its
training data, the real video and the gap settings. A render of N frames of a scene
that was already rendered with M frames starts from hard links to the first min(N, M)
of them (frame i is a function of the scene and i alone), so frame-count arms share
their frames.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simgen.errors import SimgenError
from simgen.sweep.spec import Arm, Sweep, pose_config
from simgen.sweep.stages import Stage, StageStore, fingerprint

if TYPE_CHECKING:
    from simgen.gap.report import GapNumbers

Log = Callable[[str], None]


@dataclass
class Accuracy:
    """The evaluate stage's numbers as a sweep reads them: ``pose.evaluate.metrics`` on the real
    labeled frames, over every labeled keypoint, and the RMSE per keypoint (None: not computed)."""

    frames: int | None
    rmse: float | None
    mean_error: float | None
    median_error: float | None
    pck5: float | None
    pck10: float | None
    rmse_per_keypoint: dict[str, float | None]

    @classmethod
    def from_metrics(cls, m: dict) -> Accuracy:
        a = m.get("all", {})
        return cls(m.get("frames"), a.get("rmse"), a.get("mean_error"), a.get("median_error"), a.get("pck5"),
                   a.get("pck10"), {name: km.get("rmse") for name, km in m.get("per_keypoint", {}).items()})


@dataclass
class ArmRun:
    arm: Arm
    seed: int
    stages: dict[str, Stage] = field(default_factory=dict)
    error: str | None = None
    gap_error: str | None = None  # the gap stage failed; the accuracy still counts

    @property
    def accuracy(self) -> Accuracy | None:
        """The evaluate stage's numbers; None without a finished evaluate stage."""
        ev = self.stages.get("evaluate")
        return Accuracy.from_metrics(ev.info["metrics"]) if ev else None

    @property
    def gap(self) -> GapNumbers | None:
        """The gap stage's numbers (``simgen.gap.report.headline``); None without a gap stage."""
        from simgen.gap.report import GapNumbers

        st = self.stages.get("gap")
        return GapNumbers.from_json(st.info) if st else None

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages.values())


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def seed_from_donor(store: StageStore, scene_sha: str, frames: int, data: Path) -> int:
    """Link the first frames of the biggest finished render of the same scene into ``data``."""
    from simgen.dataset import Dataset, Layout

    best = None
    for key, inputs, marker in store.entries("render"):
        if inputs.get("scene_sha256") == scene_sha and (best is None or inputs["frames"] > best[1]):
            best = (key, inputs["frames"])
    if best is None:
        return 0
    donor = Dataset(store.path("render", best[0]) / "data")
    dst = Layout(data)
    n = 0
    for f in donor.frames():
        if f >= frames:
            break
        if dst.annotation(f).exists():
            continue
        for cam in donor.meta.camera_names:
            targets = dst.frame_files(cam, f)
            for kind, src in donor.layout.frame_files(cam, f).items():
                if src.is_file():
                    _link_or_copy(src, targets[kind])
        _link_or_copy(donor.layout.annotation(f), dst.annotation(f))  # last: marks the frame complete
        n += 1
    return n


def _dataset_frames(path: Path) -> int:
    from simgen.dataset import Dataset

    return len(Dataset(path).frames())


# -- each stage: its work in a fresh folder, returning what its record keeps -------------------


def render_stage(folder: Path, sweep: Sweep, arm: Arm, overrides: list[str], store: StageStore, scene_sha: str,
                 *, workers: int = 1, progress: bool = True, threads: int | None = None) -> dict[str, Any]:
    from simgen.render.run import plan, run

    data = folder / "data"
    linked = seed_from_donor(store, scene_sha, arm.frames, data)
    p = plan(sweep.scene, data, frames=arm.frames, preset=arm.preset, overrides=overrides)
    res = run(p, workers=workers, progress=progress, threads=threads)
    return {"frames": arm.frames, "rendered": len(res.rendered), "linked": linked,
            "render_seconds": round(res.seconds, 2)}


def style_stage(folder: Path, arm: Arm, seed: int, src: Path, video: Path, *, progress: bool = True,
                ) -> dict[str, Any]:
    from simgen.style.apply import apply_style
    from simgen.style.train import train_style

    tr = train_style(src, video, folder / "model", method=arm.style, iters=arm.style_iters, seed=seed,
                     progress=progress)
    rep = apply_style(folder / "model", src, folder / "data", seed=seed, progress=progress)
    s = rep.summary()
    return {"method": arm.style, "iters_done": tr.iters_done, "written": _dataset_frames(folder / "data"),
            "dropped": s["dropped"], "median_drift_px": s["median_drift_px"]}


def train_stage(folder: Path, data: Path, cfg, *, progress: bool = True, log: Log = print) -> dict[str, Any]:
    from simgen.pose.train import CHECKPOINT, train

    model = folder / "model"
    res = train([str(data)], model, cfg, resume=(model / CHECKPOINT).exists(), progress=progress, log=log)
    return {"steps": res.steps, "first_loss": res.first_loss, "last_loss": res.last_loss,
            "val_error": res.val_error, "train_frames": _dataset_frames(data)}


def evaluate_stage(folder: Path, sweep: Sweep, model: Path) -> dict[str, Any]:
    from simgen.pose.evaluate import evaluate, write_report
    from simgen.pose.model import load_model

    tm = load_model(model)
    ev = evaluate(tm, sweep.labeled, sweep.camera)
    write_report(ev, folder / "report", tm.keypoints)
    write_points(ev, folder / "report" / POINTS)
    return {"metrics": ev.metrics, "keypoints": list(tm.keypoints)}


def gap_stage(folder: Path, sweep: Sweep, seed: int, data: Path, model: Path) -> dict[str, Any]:
    """simgen gap's numbers (``GapNumbers``) of this model and its training data on the real video."""
    from simgen.gap.analyze import analyze
    from simgen.gap.report import headline, write

    g, video = sweep.gap, sweep.video
    assert g is not None and video is not None  # checked when the sweep was loaded
    res = analyze(data, video, model, sweep.labeled if g.validate_estimate else None, n_real=g.frames,
                  n_synth=g.renders, seed=seed, labeled_camera=sweep.camera)
    write(res, folder / "report")
    return headline(res).to_json()


def _gap_inputs(sweep: Sweep, seed: int, data: Stage, model: Stage) -> dict[str, Any]:
    g, video = sweep.gap, sweep.video
    assert g is not None and video is not None
    inputs = {"model": model.key, "data": f"{data.kind}/{data.key}", "video": str(video),
              "video_id": fingerprint(video), "frames": g.frames, "renders": g.renders, "seed": seed}
    if g.validate_estimate:
        inputs.update(labeled=sweep.labeled, labeled_id=fingerprint(_labeled_path(sweep)), camera=sweep.camera)
    return inputs


def _labeled_path(sweep: Sweep) -> Path:
    return Path(sweep.labeled.partition(",")[0])


def run_arm(sweep: Sweep, arm: Arm, seed: int, store: StageStore, *, log: Log = print, progress: bool = True,
            workers: int = 1, threads: int | None = None, reuse_only: bool = False) -> ArmRun:
    """All stages of one arm and seed; finished stages are reused, not recomputed."""
    from functools import partial

    from simgen.scene import load_scene
    from simgen.scene.presets import scene_overrides

    out = ArmRun(arm, seed)
    tag = f"{arm.name} seed {seed}"

    def stage(kind: str, inputs: dict[str, Any], fn: Callable[[Path], dict[str, Any]], what: str) -> Stage:
        st = store.run(kind, inputs, fn, reuse_only=reuse_only)
        out.stages[kind] = st
        how = "reused" if st.reused else f"done in {st.seconds:.1f} s"
        log(f"{tag}: {kind} {what}: {how} ({st.path.relative_to(store.root.parent)})")
        return st

    overrides = arm.overrides(seed)
    sha = load_scene(sweep.scene, scene_overrides(arm.preset, overrides)).sha256
    rst = stage("render", {"scene_sha256": sha, "frames": arm.frames},
                partial(render_stage, sweep=sweep, arm=arm, overrides=overrides, store=store, scene_sha=sha,
                        workers=workers, progress=progress, threads=threads), f"{arm.frames} frames")
    data_stage = rst
    if arm.style != "none":
        video = sweep.video
        assert video is not None  # checked when the sweep was loaded
        data_stage = stage("style", {"render": rst.key, "method": arm.style, "iters": arm.style_iters,
                                     "seed": seed, "video": str(video), "video_id": fingerprint(video)},
                           partial(style_stage, arm=arm, seed=seed, src=rst.path / "data", video=video,
                                   progress=progress), arm.style)
    data = data_stage.path / "data"
    cfg = pose_config(arm.train, seed, f"arm {arm.name}")
    tst = stage("train", {"data": f"{data_stage.kind}/{data_stage.key}", "config": cfg.model_dump(mode="json")},
                partial(train_stage, data=data, cfg=cfg, progress=progress, log=lambda m: log(f"{tag}: train: {m}")),
                f"{cfg.steps} steps")
    stage("evaluate", {"model": tst.key, "labeled": sweep.labeled, "labeled_id": fingerprint(_labeled_path(sweep)),
                       "camera": sweep.camera}, partial(evaluate_stage, sweep=sweep, model=tst.path / "model"),
          "on real labeled frames")
    if sweep.gap is not None:  # optional: a failed gap keeps the arm's accuracy, and says why it is missing
        inputs = _gap_inputs(sweep, seed, data_stage, tst)
        try:
            stage("gap", inputs, partial(gap_stage, sweep=sweep, seed=seed, data=data, model=tst.path / "model"),
                  f"on {sweep.gap.frames} real video frames")
        except SimgenError as err:  # e.g. an unreadable video
            out.gap_error = str(err).splitlines()[0]
            log(f"{tag}: gap FAILED: {err}")
    return out


RESULT_COLUMNS = ["arm", "seed", "style", "frames", "train_frames", "eval_frames", "rmse", "mean_error",
                  "median_error", "pck5", "pck10", "wall_time_s"]


def result_row(r: ArmRun) -> dict[str, Any]:
    """One row of results.csv (per-keypoint RMSE columns are ``rmse_<keypoint>``)."""
    a = r.accuracy or Accuracy.from_metrics({})
    row: dict[str, Any] = {
        "arm": r.arm.name, "seed": r.seed, "style": r.arm.style, "frames": r.arm.frames,
        "train_frames": r.stages["train"].info.get("train_frames") if "train" in r.stages else None,
        "eval_frames": a.frames, "rmse": a.rmse, "mean_error": a.mean_error, "median_error": a.median_error,
        "pck5": a.pck5, "pck10": a.pck10, "wall_time_s": round(r.seconds, 1),
    }
    for name, rmse in a.rmse_per_keypoint.items():
        row[f"rmse_{name}"] = rmse
    if r.gap is not None:  # only with a gap stage, so results.csv of other sweeps keeps its columns
        from simgen.gap.report import HEADLINE

        row.update({f"gap_{k}": getattr(r.gap, k) for k in HEADLINE})  # None (empty) where a number was not computed
        row["gap_seconds"] = round(r.stages["gap"].seconds, 1)
    return row


def write_results(runs: list[ArmRun], path: Path) -> Path:
    import csv

    rows = [result_row(r) for r in runs if r.accuracy is not None]
    cols = list(RESULT_COLUMNS)
    for row in rows:
        cols += [k for k in row if k not in cols]
    from simgen.dataset.writer import atomic_write

    with atomic_write(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if v is None else (f"{v:.4f}" if isinstance(v, float) else v))
                        for k, v in row.items()})
    return path


POINTS = "points.npz"  # per evaluate stage: predictions, labels and sizes for the report


def write_points(ev, path: Path) -> None:
    """Called by the evaluate stage: what the report needs to recompute every metric."""
    import numpy as np

    labels = ev.labels
    sizes = labels.sizes
    if sizes is None:
        sizes = np.array([labels.load_image(i).shape[1::-1] for i in range(len(labels))])
    np.savez_compressed(path, pred=ev.pred, gt=ev.gt, sizes=np.asarray(sizes),
                        names=np.array([labels.image_name(i) for i in range(len(labels))]))
