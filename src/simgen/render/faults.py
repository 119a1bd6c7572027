"""What a render does about faults, before and around the work (used by ``render.run``).

Limits of the command line checked before any work; temporary files of killed writers
removed before a frame is rendered; worker processes that die with their parent (even
by ``kill -9``); a failed first try that leaves no ``dataset.json`` behind; a warning
for a camera that never sees the animal.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)


def check_limits(frames: int) -> None:
    """Limits of the command line (the scene's own are checked by ``load_scene``)."""
    from simgen import limits

    limits.FRAMES.check(frames, "--frames")


def clean_dead_writers(writer, frames: Sequence[int]) -> None:
    """Delete temporary files of these frames whose writer was killed (annotations too);
    ``DatasetWriter`` sweeps the whole dataset when it opens it."""
    from simgen.dataset.writer import frame_files, remove_dead_temporaries

    cams = [c.name for c in writer.meta.cameras]
    remove_dead_temporaries([p for f in frames for p in frame_files(writer.layout, cams, f)])


def die_with_parent() -> None:
    """In a worker process: exit when the parent dies, even by kill -9 (Linux: the kernel
    sends SIGKILL; elsewhere a thread polls the parent's pid)."""
    import multiprocessing as mp
    import signal
    import sys
    import threading

    parent = mp.parent_process()
    ppid = parent.pid if parent is not None else os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != ppid:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == ppid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="simgen-parent-watch", daemon=True).start()


UNSEEN_AFTER = 5  # frames rendered before a camera that never saw the animal is reported


def warn_unseen(seen: dict[str, int], rendered: int) -> None:
    """Once, after the first frames: cameras whose mask never held the animal (a camera
    aimed away, or an animal placed outside the view) make a dataset of empty labels."""
    if rendered != UNSEEN_AFTER:
        return
    blind = [cam for cam, n in seen.items() if n == 0]
    if blind:
        log.warning(f"camera(s) {', '.join(blind)} did not see the animal in any of the first {rendered} frames; "
                    "check their position and look_at (`simgen preview` after a few frames shows it)")


def undo_new_dataset(p) -> None:
    """After a failed run that made a new dataset and finished no frame: remove what it
    wrote (dataset.json, empty folders), so the next try is not refused as a different run."""
    from simgen.dataset import Layout

    layout = Layout(p.out)
    if not p.created or not layout.meta.exists():
        return
    if any(f.is_file() and f != layout.meta for f in p.out.rglob("*")):
        return  # frames (or another shard's files in flight): keep everything
    layout.meta.unlink(missing_ok=True)
    for folder in sorted((d for d in p.out.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
        try:
            folder.rmdir()  # only empty ones
        except OSError:
            pass
    try:
        p.out.rmdir()
    except OSError:
        pass
