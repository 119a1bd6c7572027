"""The content-addressed stage store: ``DIR/stages/<kind>/<key>/``.

A stage's key is the sha256 of its inputs (the resolved scene, frame count, style
settings, training config, the key of the stage it reads, ...), so two arms that agree
on a stage's inputs share its output, and adding an arm to a sweep recomputes only
what is new. ``inputs.json`` records the inputs; ``done.json`` (the marker, written
last and atomically) records the outcome and how long it took. A stage without the
marker (killed, crashed) is run again in the same folder; the functions it calls
resume (render and style apply skip complete frames, training continues from its
checkpoint). A lock file serializes concurrent runs of one stage (Slurm jobs of arms
that share a render wait for each other instead of rendering twice).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simgen.errors import SimgenError

MARKER = "done.json"
INPUTS = "inputs.json"
KINDS = ("render", "style", "train", "evaluate", "gap")  # gap: only when the sweep file asks for it


def stage_key(kind: str, inputs: dict[str, Any]) -> str:
    text = json.dumps({"kind": kind, "inputs": inputs}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def fingerprint(path: Path) -> str:
    """Cheap identity of a file or folder tree: names, sizes and modification times."""
    path = Path(path)
    h = hashlib.sha256()
    items = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in items:
        st = p.stat()
        h.update(f"{p.relative_to(path.parent) if p == path else p.relative_to(path)}|{st.st_size}|"
                 f"{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


@dataclass
class Stage:
    kind: str
    key: str
    path: Path
    info: dict[str, Any]  # what the stage's function returned
    seconds: float  # compute time when it ran (not now, if reused)
    reused: bool


class StageStore:
    def __init__(self, root: Path):
        self.root = Path(root) / "stages"

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def done(self, kind: str, key: str) -> dict | None:
        marker = self.path(kind, key) / MARKER
        try:
            return json.loads(marker.read_text())
        except (OSError, ValueError):
            return None

    def entries(self, kind: str) -> Iterator[tuple[str, dict, dict]]:
        """(key, inputs, marker) of every finished stage of ``kind``."""
        folder = self.root / kind
        if not folder.is_dir():
            return
        for d in sorted(folder.iterdir()):
            marker = self.done(kind, d.name) if d.is_dir() else None
            if marker is not None:
                try:
                    yield d.name, json.loads((d / INPUTS).read_text()), marker
                except (OSError, ValueError):
                    continue

    @contextmanager
    def _lock(self, kind: str, key: str):
        lock = self.root / kind / f".{key}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def run(self, kind: str, inputs: dict[str, Any], fn: Callable[[Path], dict[str, Any]], *,
            reuse_only: bool = False) -> Stage:
        """The stage's finished output, computing it with ``fn(folder)`` if needed.

        ``reuse_only``: fail instead of computing (collecting results that jobs made).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown stage kind {kind!r}")
        key = stage_key(kind, inputs)
        folder = self.path(kind, key)
        marker = self.done(kind, key)
        if marker is None and reuse_only:
            raise SimgenError(f"{folder}: {kind} stage did not finish")
        if marker is None:
            with self._lock(kind, key):
                marker = self.done(kind, key)  # another process may have finished it meanwhile
                if marker is None:
                    folder.mkdir(parents=True, exist_ok=True)
                    _atomic_json(folder / INPUTS, inputs)
                    t0 = time.time()
                    info = fn(folder)
                    marker = {"kind": kind, "key": key, "seconds": round(time.time() - t0, 2),
                              "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "info": info}
                    _atomic_json(folder / MARKER, marker)
                    return Stage(kind, key, folder, info, marker["seconds"], False)
        return Stage(kind, key, folder, marker["info"], float(marker["seconds"]), True)


def _atomic_json(path: Path, obj: Any) -> None:
    from simgen.dataset.writer import atomic_write_json

    atomic_write_json(path, obj, default=str)
