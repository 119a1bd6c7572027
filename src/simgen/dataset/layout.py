"""Paths inside a dataset directory: every reader and writer asks a :class:`Layout` for them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simgen.contract import FRAME_FILE_KINDS


@dataclass(frozen=True)
class Layout:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def meta(self) -> Path:
        return self.root / "dataset.json"

    @property
    def annotations_dir(self) -> Path:
        return self.root / "annotations"

    def image(self, camera: str, frame: int) -> Path:
        return self.root / "images" / camera / f"{frame:06d}.png"

    def mask(self, camera: str, frame: int) -> Path:
        return self.root / "masks" / camera / f"{frame:06d}.png"

    def depth(self, camera: str, frame: int) -> Path:
        """Optional depth in meters along the camera z axis, float32 .npy."""
        return self.root / "depth" / camera / f"{frame:06d}.npy"

    def frame_files(self, camera: str, frame: int) -> dict[str, Path]:
        """Every per-camera file a frame may have, by kind (``contract.FRAME_FILE_KINDS``):
        what render cleans up, verify checks, and sweep and style apply carry over."""
        return {kind: getattr(self, kind)(camera, frame) for kind in FRAME_FILE_KINDS}

    def annotation(self, frame: int) -> Path:
        return self.annotations_dir / f"{frame:06d}.json"

    def image_relpath(self, camera: str, frame: int) -> str:
        """Image path relative to the root, with forward slashes (for exporters)."""
        return self.image(camera, frame).relative_to(self.root).as_posix()
