"""Integrity check of a dataset directory (``simgen verify``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from simgen.dataset.annotation import FrameAnnotation
from simgen.dataset.layout import Layout
from simgen.dataset.meta import DatasetMeta


@dataclass
class VerifyReport:
    root: Path
    expected: int
    complete: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    stray_tmp: list[Path] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # left out on purpose (style gate)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def _check_png(path: Path, width: int, height: int, what: str) -> str | None:
    from PIL import Image

    if not path.is_file():
        return f"{what} missing ({path.name})"
    try:
        with Image.open(path) as im:
            im.load()  # decodes every byte; a truncated file raises
            size = im.size
    except Exception as exc:  # PIL raises many types for bad files
        return f"{what} unreadable ({type(exc).__name__}: {exc})"
    if size != (width, height):
        return f"{what} is {size[0]}x{size[1]}, expected {width}x{height}"
    return None


def check_frame(layout: Layout, meta: DatasetMeta, frame: int) -> str | None:
    """None if the frame is complete and sound, else the first problem found."""
    try:
        ann = FrameAnnotation.from_json(json.loads(layout.annotation(frame).read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        return f"annotation does not parse ({type(exc).__name__}: {exc})"
    if ann.frame != frame:
        return f"annotation says frame {ann.frame}"
    if meta.multi == ann.one_animal:  # the file's form against dataset.json's format
        return ("annotation has no instances, dataset.json lists several animals" if meta.multi else
                "annotation has instances, dataset.json lists one animal")
    animals = ann.animals
    names = [a.name for a in animals]
    if meta.multi and (names != meta.animal_names or [a.track for a in animals] != list(range(len(names)))):
        return f"instances {names} are not dataset.json's animals {meta.animal_names} in order"
    for animal in animals:
        who = "" if animal.name is None else f"{animal.name}: "
        if len(animal.keypoints_3d) != len(meta.keypoints):
            return f"{who}{len(animal.keypoints_3d)} 3-D keypoints, dataset.json lists {len(meta.keypoints)}"
        for cam in meta.cameras:
            label = animal.cameras.get(cam.name)
            if label is None:
                return f"{who}annotation lacks camera {cam.name!r}"
            if len(label.keypoints) != len(meta.keypoints):
                return f"{who}{cam.name}: {len(label.keypoints)} keypoints, expected {len(meta.keypoints)}"
    for cam in meta.cameras:
        label = ann.cameras.get(cam.name)
        if label is None:
            return f"annotation lacks camera {cam.name!r}"
        if (label.width, label.height) != (cam.width, cam.height):
            return f"{cam.name}: annotation size {label.width}x{label.height} != {cam.width}x{cam.height}"
        for kind, path in layout.frame_files(cam.name, frame).items():
            if kind != "image" and not path.parent.is_dir():
                continue  # masks and depth are checked where the dataset has them
            check = _check_npy if path.suffix == ".npy" else _check_png
            problem = check(path, cam.width, cam.height, f"{cam.name} {kind}")
            if problem:
                return problem
    return None


def _check_npy(path: Path, width: int, height: int, what: str) -> str | None:
    import numpy as np

    if not path.is_file():
        return f"{what} missing ({path.name})"
    try:
        shape = np.load(path, mmap_mode="r").shape
    except (OSError, ValueError) as exc:
        return f"{what} does not load ({type(exc).__name__})"
    if shape[:2] != (height, width):
        return f"{what} is {shape[1]}x{shape[0]}, expected {width}x{height}"
    return None


def stray_temporaries(layout: Layout) -> list[Path]:
    """Leftovers of interrupted atomic writes: hidden files beside the per-frame files."""
    out = [p for p in layout.root.glob(".dataset.json.*")]
    for sub in ("images", "masks", "depth", "annotations"):
        folder = layout.root / sub
        if folder.is_dir():
            out += [p for p in folder.rglob(".*") if p.is_file()]
    return sorted(out)


def verify_dataset(root: Path | str) -> VerifyReport:
    layout = Layout(Path(root))
    meta = DatasetMeta.load(layout.meta)
    report = VerifyReport(root=layout.root, expected=meta.frames)
    # frames a later stage left out on purpose (the style-transfer gate) are not missing
    dropped = set(meta.extra.get("style", {}).get("dropped", []))
    for frame in meta.frame_indices:
        if not layout.annotation(frame).exists():
            (report.dropped if frame in dropped else report.missing).append(frame)
            continue
        problem = check_frame(layout, meta, frame)
        if problem:
            report.corrupt.append((frame, problem))
        else:
            report.complete.append(frame)
    report.stray_tmp = stray_temporaries(layout)
    return report
