"""``simgen render``: plan the frames, run worker processes, write the dataset directory.

The main process loads the scene, writes (or joins) ``dataset.json`` and works out
which frames still need rendering: those of this shard (``i, i+N, ...``) that are
not complete (annotation parses, images and masks decode). Each worker builds the
Blender scene once, then per frame: sample the FrameSpec, apply it, render every
camera's RGB and mask, label, and write the annotation last. A frame killed
half-way has no annotation and is redone by the next run.

Presets are scene overrides (``--set`` expressions applied before the user's), so
the rendered settings are what the dataset's scene and annotations record.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simgen.errors import SimgenError

log = logging.getLogger(__name__)

PRESETS: dict[str, list[str]] = {
    # a quick look at framing and labels: flat-shaded OpenGL, no path tracing
    "preview": ["render.engine=workbench", "render.samples=1", "render.denoise=false"],
    # few samples and a denoiser: training-grade frames at a few seconds each on a CPU
    "fast": ["render.engine=cycles", "render.samples=8", "render.denoise=true"],
    "production": ["render.engine=cycles", "render.samples=128", "render.denoise=true"],
}


@dataclass
class RenderPlan:
    scene_path: Path
    out: Path
    overrides: list[str]
    meta: object  # DatasetMeta
    todo: list[int]  # frames this run renders
    skipped: list[int] = field(default_factory=list)  # complete already


@dataclass
class RenderResult:
    rendered: list[int]
    skipped: list[int]
    seconds: float
    videos: list[Path] = field(default_factory=list)  # clip mp4s written (sequence mode)

    @property
    def fps(self) -> float:
        return len(self.rendered) / self.seconds if self.seconds > 0 else 0.0


def scene_overrides(preset: str | None, overrides: Sequence[str] = ()) -> list[str]:
    if preset is None:
        return list(overrides)
    if preset not in PRESETS:
        raise SimgenError(f"unknown preset {preset!r}; choices: {', '.join(PRESETS)}")
    return PRESETS[preset] + list(overrides)


def keypoint_set_for(names: str, animal_names: list[str]):
    """The scene's keypoint set; ``default`` falls back to all of the animal's keypoints."""
    from simgen.keypoints import KeypointSet

    try:
        return KeypointSet.load(names)
    except SimgenError:
        if names != "default":
            raise
        return KeypointSet.identity(animal_names, name="default")


def animal_asset(asset: str):
    from simgen.render.animal import AnimalAsset, resolve_asset

    return AnimalAsset.load(resolve_asset(asset))


def build_meta(loaded, frames: int, start: int, animal):
    """``DatasetMeta`` of a run (everything constant across its frames)."""
    from importlib.metadata import PackageNotFoundError, version

    import simgen
    from simgen.dataset import CameraInfo, DatasetMeta

    s = loaded.scene
    ks = keypoint_set_for(s.keypoints.names, animal.keypoint_names)
    cams = [CameraInfo(c.name, *(int(v) for v in (c.resolution or s.render.resolution))) for c in s.cameras]
    mask_ids = {"background": 0, "animal": 1}
    for i, item in enumerate(s.rig):
        mask_ids[item.name] = 2 + i
    try:
        import bpy  # lazily: only for its version string

        blender = bpy.app.version_string
    except ImportError:
        try:
            blender = version("bpy")
        except PackageNotFoundError:
            blender = "unknown"
    return DatasetMeta(
        scene=loaded.resolved,
        scene_sha256=loaded.sha256,
        seed=s.seed,
        frames=frames,
        start=start,
        keypoints=ks.names,
        cameras=cams,
        skeleton=[tuple(e) for e in ks.skeleton],
        swap_pairs=[tuple(p) for p in ks.swap_pairs],
        mask_ids=mask_ids,
        versions={"simgen": simgen.__version__, "blender": blender},
        extra={"keypoint_set": ks.name, "animal": animal.name, "animal_keypoints": animal.keypoint_names,
               "overrides": list(loaded.overrides)},
    )


def plan(scene_path: Path, out: Path, *, frames: int | None = None, start: int = 0, preset: str | None = None,
         overrides: Sequence[str] = (), shard: tuple[int, int] = (0, 1)) -> RenderPlan:
    from simgen.dataset import DatasetWriter
    from simgen.dataset.verify import check_frame
    from simgen.scene import load_scene

    sets = scene_overrides(preset, overrides)
    loaded = load_scene(scene_path, sets)
    n = frames if frames is not None else loaded.scene.frames
    if n < 1 or start < 0:
        raise SimgenError("--frames must be >= 1 and --start >= 0")
    animal = animal_asset(loaded.scene.animal.asset)
    meta = build_meta(loaded, n, start, animal)
    writer = DatasetWriter(out, meta)  # writes dataset.json, or checks it matches
    from simgen.distributed.shards import shard_frames

    mine = shard_frames(start, n, shard)
    todo, skipped = [], []
    for f in mine:
        if writer.layout.annotation(f).exists() and check_frame(writer.layout, writer.meta, f) is None:
            skipped.append(f)
        else:
            todo.append(f)
    return RenderPlan(Path(scene_path), Path(out), sets, meta, todo, skipped)


# -- the worker ---------------------------------------------------------------------------
def _remove_stale_tmp(layout, cameras: list[str], frame: int) -> None:
    """Delete temporary files of ``frame`` left by a killed process (not by a live one)."""
    for cam in cameras:
        for path in (layout.image(cam, frame), layout.mask(cam, frame), layout.depth(cam, frame)):
            folder = path.parent
            if not folder.is_dir():
                continue
            for p in folder.glob(f".{path.name}.*"):
                try:
                    pid = int(p.name.split(".")[3])
                except (IndexError, ValueError):
                    continue
                if pid != os.getpid() and _alive(pid):
                    continue
                p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FrameRenderer:
    """Renders frames of one scene into one dataset directory (one per worker process)."""

    def __init__(self, scene_path: Path, out: Path, overrides: Sequence[str], meta, *, threads: int | None = None,
                 sample: Callable | None = None, animal=None):
        from simgen.dataset import DatasetWriter
        from simgen.sampling import sample_frame
        from simgen.scene import load_scene

        self.scene = load_scene(scene_path, list(overrides)).scene
        self.writer = DatasetWriter(out, meta)
        self.meta = self.writer.meta
        self.sample = sample or sample_frame
        self._threads = threads
        self._animal = animal
        self._bscene = None
        self.ks = None
        self.src_names: list[str] = []

    def _build(self, spec) -> None:
        from simgen.render.blender_scene import BlenderScene

        asset = self._animal or animal_asset(spec.animal.asset)
        self._bscene = BlenderScene(spec, threads=self._threads, animal=asset)
        self.src_names = self._bscene.animal.keypoint_names
        self.ks = keypoint_set_for(spec.keypoints, self.src_names)
        if self.ks.names != list(self.meta.keypoints):
            raise SimgenError("the keypoint set differs from dataset.json's keypoints")
        if self._bscene.mask_ids != self.meta.mask_ids:
            raise SimgenError("the rig differs from dataset.json's mask ids")

    def render(self, frame: int) -> None:
        from simgen.dataset import FrameAnnotation
        from simgen.render.labels import camera_label

        spec = self.sample(self.scene, frame)
        if self._bscene is None:
            self._build(spec)
        bs, w = self._bscene, self.writer
        _remove_stale_tmp(w.layout, [c.name for c in spec.cameras], frame)
        bs.apply(spec)
        kp_src = bs.keypoints_world()
        labels = {}
        pending: list[tuple[Path, Path]] = []
        try:
            for cam in spec.cameras:
                tmp, final = w.image_target(cam.name, frame)
                pending.append((tmp, final))
                bs.render_rgb(cam.name, tmp)
                mtmp, _ = w.mask_target(cam.name, frame)
                try:
                    if spec.render.depth:
                        mask, depth = bs.render_mask(cam.name, mtmp, depth=True)
                        w.write_depth(cam.name, frame, depth)
                    else:
                        mask = bs.render_mask(cam.name, mtmp)
                finally:
                    mtmp.unlink(missing_ok=True)
                w.write_mask(cam.name, frame, mask)
                if getattr(spec, "image", None) is not None:  # issue 14: floor/image randomization
                    _post_process(tmp, spec.image, mask, bs.mask_ids["animal"])
                labels[cam.name] = camera_label(bs.pinhole(cam.name), kp_src, bs.first_hits, mask=mask,
                                                src_names=self.src_names, keypoint_set=self.ks)
            for tmp, final in pending:
                w.commit(tmp, final)
        finally:
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
        kp3d = self.ks.map_points(self.src_names, kp_src)
        w.write_annotation(FrameAnnotation(frame=frame, params=spec.to_json() if hasattr(spec, "to_json") else spec,
                                           keypoints_3d=kp3d, cameras=labels))


def _post_process(path: Path, ops, mask, animal_id: int) -> None:
    """Apply a frame's image operations (``simgen.imageops``) to a rendered PNG in place."""
    import cv2
    import numpy as np

    from simgen.imageops import apply_image_ops

    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint8 or img.ndim != 3:
        raise SimgenError(f"{path}: image randomization needs an 8-bit color render")
    rgb = apply_image_ops(np.ascontiguousarray(img[..., 2::-1]), ops, mask, animal_id)
    img[..., :3] = rgb[..., ::-1]
    cv2.imwrite(str(path), img)


def _worker(scene_path, out, overrides, meta, frames, threads, queue) -> None:
    """Entry point of a worker process: render ``frames``, report each to ``queue``."""
    import re
    import sys

    # A spawned child inherits the parent's sys.path, which (once bpy was imported)
    # lists Blender's scripts/modules folder; its `bpy` package would then shadow the
    # real bpy module. Drop those entries before anything imports bpy.
    sys.path[:] = [p for p in sys.path if not re.search(r"[\\/]bpy[\\/]\d+\.\d+[\\/]scripts", p)]
    logging.basicConfig(level=logging.WARNING)
    try:
        r = FrameRenderer(scene_path, out, overrides, meta, threads=threads)
        for f in frames:
            r.render(f)
            queue.put(("done", f))
    except SimgenError as exc:
        queue.put(("error", str(exc)))
    except Exception as exc:  # surfaced in the parent with the frame context
        import traceback

        queue.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    queue.put(("exit", None))


def run(p: RenderPlan, *, workers: int = 1, progress: bool = True, sample: Callable | None = None,
        animal=None, threads: int | None = None) -> RenderResult:
    """Render the plan's frames with ``workers`` processes (1: in this process).

    ``threads``: CPU threads for Blender in total (default: all cores), e.g. a job's allocation.
    """
    t0 = time.perf_counter()
    done: list[int] = []
    if not p.todo:
        return RenderResult(done, p.skipped, 0.0, write_videos(p))
    workers = max(1, min(workers, len(p.todo)))
    with _Progress(len(p.todo), enabled=progress) as bar:
        if workers == 1:
            r = FrameRenderer(p.scene_path, p.out, p.overrides, p.meta, sample=sample, animal=animal,
                              threads=threads)
            for f in p.todo:
                r.render(f)
                done.append(f)
                bar.advance()
        else:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")  # bpy must not be forked mid-flight
            queue = ctx.Queue()
            threads = max(1, (threads or os.cpu_count() or 1) // workers)
            procs = [
                ctx.Process(target=_worker, args=(p.scene_path, p.out, p.overrides, p.meta, p.todo[k::workers],
                                                  threads, queue), daemon=True)
                for k in range(workers)
            ]
            for proc in procs:
                proc.start()
            running, errors = workers, []
            try:
                while running:
                    kind, value = queue.get()
                    if kind == "done":
                        done.append(value)
                        bar.advance()
                    elif kind == "error":
                        errors.append(value)
                    else:
                        running -= 1
            finally:
                for proc in procs:
                    proc.join(timeout=5)
                    if proc.is_alive():
                        proc.terminate()
            if errors:
                raise SimgenError("a render worker failed: " + errors[0])
    seconds = time.perf_counter() - t0
    return RenderResult(sorted(done), p.skipped, seconds, write_videos(p))


def write_videos(p: RenderPlan) -> list[Path]:
    """Sequence mode: the mp4 of each clip whose frames are all complete (any shard's)."""
    from simgen.dataset import DatasetMeta, Layout
    from simgen.render.video import write_clip_videos
    from simgen.scene import load_scene

    scene = load_scene(p.scene_path, p.overrides).scene
    if scene.frames_mode != "sequence":
        return []
    layout = Layout(p.out)
    # dataset.json's range: the union of every run and shard that wrote into this directory
    return write_clip_videos(layout, DatasetMeta.load(layout.meta), scene.sequence.length, scene.sequence.fps)


class _Progress:
    """A rich progress bar with frames/s and ETA (or nothing when disabled)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            # stderr: Blender's own output on stdout is silenced around renders
            self._p = Progress(TextColumn("rendering"), BarColumn(), MofNCompleteColumn(),
                               TextColumn("{task.fields[fps]} frames/s"), TimeElapsedColumn(),
                               TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True))
            self._p.__enter__()
            self._task = self._p.add_task("render", total=self.total, fps="-")
            self._t0 = time.perf_counter()
            self._n = 0
        return self

    def advance(self) -> None:
        if self.enabled:
            self._n += 1
            fps = self._n / max(time.perf_counter() - self._t0, 1e-9)
            self._p.update(self._task, advance=1, fps=f"{fps:.2f}")

    def __exit__(self, *exc):
        if self.enabled:
            self._p.__exit__(*exc)
        return False


def render(scene_path: Path, out: Path, *, frames: int | None = None, start: int = 0, preset: str | None = None,
           overrides: Sequence[str] = (), shard: str | tuple[int, int] | None = None, workers: int = 1,
           progress: bool = True) -> RenderResult:
    """Library entry of ``simgen render``."""
    from simgen.distributed.shards import parse_shard

    sh = parse_shard(shard) if not isinstance(shard, tuple) else shard
    p = plan(Path(scene_path), Path(out), frames=frames, start=start, preset=preset, overrides=overrides, shard=sh)
    res = run(p, workers=workers, progress=progress)
    return res


__all__ = ["PRESETS", "FrameRenderer", "RenderPlan", "RenderResult", "plan", "render", "run",
           "write_videos"]
