"""Reads a dataset directory: its metadata, complete frames, images and labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simgen.dataset.annotation import FrameAnnotation
from simgen.dataset.layout import Layout
from simgen.dataset.meta import DatasetMeta
from simgen.errors import DatasetError


class Dataset:
    """A simgen dataset on disk. ``frames()`` lists the complete ones, in order."""

    def __init__(self, root: Path | str):
        self.layout = Layout(Path(root))
        if not self.layout.root.is_dir():
            raise DatasetError(f"{root}: no such dataset directory")
        self.meta = DatasetMeta.load(self.layout.meta)

    @property
    def root(self) -> Path:
        return self.layout.root

    @property
    def keypoints(self) -> list[str]:
        return self.meta.keypoints

    def annotated_frames(self) -> list[int]:
        """Frame indices that have an annotation file (not checked further)."""
        d = self.layout.annotations_dir
        if not d.is_dir():
            return []
        out = []
        for p in d.glob("*.json"):
            if p.stem.isdigit():
                out.append(int(p.stem))
        return sorted(out)

    def is_complete(self, frame: int) -> bool:
        """Annotation parses and every camera's image exists (cheap check; ``verify`` decodes)."""
        try:
            self.annotation(frame)
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return all(self.layout.image(c, frame).is_file() for c in self.meta.camera_names)

    def frames(self) -> list[int]:
        return [f for f in self.annotated_frames() if self.is_complete(f)]

    def sound_frames(self, what: str = "used", frames: list[int] | None = None) -> list[int]:
        """Complete frames whose files all decode (``verify``'s check); the others are left
        out with one warning that says how many, for exports and training sets.
        ``frames``: check only these (default: every annotated frame)."""
        import logging

        from simgen.dataset.verify import check_frame

        good, bad = [], []
        for f in self.annotated_frames() if frames is None else frames:
            problem = check_frame(self.layout, self.meta, f)
            (bad if problem else good).append((f, problem))
        if bad:
            f, problem = bad[0]
            logging.getLogger("simgen").warning(
                f"{self.root}: {len(bad)} corrupt or incomplete frame(s) not {what} (first: frame {f}: "
                f"{problem}); `simgen verify {self.root}` lists them, a rerun of the render redoes them")
        return [f for f, _ in good]

    def annotation(self, frame: int) -> FrameAnnotation:
        return FrameAnnotation.from_json(json.loads(self.layout.annotation(frame).read_text()))

    def __iter__(self):
        for f in self.frames():
            yield self.annotation(f)

    def __len__(self) -> int:
        return len(self.frames())

    def image_path(self, camera: str, frame: int) -> Path:
        return self.layout.image(camera, frame)

    def mask_path(self, camera: str, frame: int) -> Path:
        return self.layout.mask(camera, frame)

    def load_image(self, camera: str, frame: int) -> np.ndarray:
        from PIL import Image

        with Image.open(self.layout.image(camera, frame)) as im:
            return np.asarray(im.convert("RGB"))

    def load_mask(self, camera: str, frame: int) -> np.ndarray:
        from PIL import Image

        with Image.open(self.layout.mask(camera, frame)) as im:
            return np.asarray(im)
