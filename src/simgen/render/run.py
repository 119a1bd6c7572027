"""``simgen render``: plan the frames (``render.plan``), run worker processes
(``render.worker``), report progress, write clip videos.

Presets are scene overrides (``scene.presets``, applied before the user's ``--set``),
so the rendered settings are what the dataset's scene and annotations record.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simgen.errors import SimgenError
from simgen.render.faults import undo_new_dataset
from simgen.render.plan import RenderPlan, plan
from simgen.render.worker import FrameRenderer, worker_main

log = logging.getLogger(__name__)


@dataclass
class RenderResult:
    rendered: list[int]
    skipped: list[int]
    seconds: float
    videos: list[Path] = field(default_factory=list)  # clip mp4s written (sequence mode)

    @property
    def fps(self) -> float:
        return len(self.rendered) / self.seconds if self.seconds > 0 else 0.0


def run(p: RenderPlan, *, workers: int = 1, progress: bool = True, sample: Callable | None = None,
        animal=None, threads: int | None = None) -> RenderResult:
    """Render the plan's frames with ``workers`` processes (1: in this process).

    ``threads``: CPU threads for Blender in total (default: all cores), e.g. a job's allocation.
    A run that fails before any frame of a new dataset is done leaves nothing behind.
    """
    try:
        return _run(p, workers=workers, progress=progress, sample=sample, animal=animal, threads=threads)
    except BaseException:
        undo_new_dataset(p)
        raise


def _run(p: RenderPlan, *, workers: int, progress: bool, sample: Callable | None, animal,
         threads: int | None) -> RenderResult:
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
                ctx.Process(target=worker_main, args=(p.scene_path, p.out, p.overrides, p.meta, p.todo[k::workers],
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
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

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
    from simgen.dataset.shards import parse_shard

    sh = parse_shard(shard) if not isinstance(shard, tuple) else shard
    p = plan(Path(scene_path), Path(out), frames=frames, start=start, preset=preset, overrides=overrides, shard=sh)
    return run(p, workers=workers, progress=progress)


__all__ = ["FrameRenderer", "RenderPlan", "RenderResult", "plan", "render", "run", "write_videos"]
