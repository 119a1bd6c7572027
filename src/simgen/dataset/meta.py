"""``dataset.json``: what a dataset holds, written once before any frame."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from simgen.contract import ANIMAL_ID
from simgen.errors import DatasetError

DATASET_FORMAT = "simgen-dataset/1"
# several animals (issue 16): dataset.json lists them, annotations carry ``instances``
DATASET_FORMAT_MULTI = "simgen-dataset/1.1"
READABLE_FORMATS = (DATASET_FORMAT, DATASET_FORMAT_MULTI)


@dataclass(frozen=True)
class CameraInfo:
    name: str
    width: int
    height: int


@dataclass
class DatasetMeta:
    """Everything constant across the frames of one dataset.

    ``frames`` and ``start`` say which frame indices belong to the dataset:
    ``range(start, start + frames)``. ``mask_ids`` maps names to the ids used in
    the masks (``animal`` is 1, rig parts from 2). ``swap_pairs`` lists left/right
    keypoint pairs by name (for flip augmentation).
    """

    scene: dict[str, Any]
    scene_sha256: str
    seed: int
    frames: int
    keypoints: list[str]
    cameras: list[CameraInfo]
    start: int = 0
    skeleton: list[tuple[str, str]] = field(default_factory=list)
    swap_pairs: list[tuple[str, str]] = field(default_factory=list)
    mask_ids: dict[str, int] = field(default_factory=lambda: {"background": 0, "animal": 1})
    versions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    format: str = DATASET_FORMAT
    # several animals (issue 16): [{"name", "asset"}] in mask-id and ``instances`` order; empty for one
    animals: list[dict[str, str]] = field(default_factory=list)

    @property
    def animal_id(self) -> int:
        """The animal's id in the masks."""
        return int(self.mask_ids.get("animal", ANIMAL_ID))

    @property
    def multi(self) -> bool:
        """Several animals: annotations are written in the ``instances`` form (``FrameAnnotation``)."""
        return bool(self.animals)

    @property
    def animal_names(self) -> list[str]:
        return [a["name"] for a in self.animals]

    @property
    def animal_ids(self) -> list[int]:
        """Each animal's id in the masks, in ``animals`` order (the one ``animal_id`` for one animal)."""
        if not self.animals:
            return [self.animal_id]
        return [int(self.mask_ids[a["name"]]) for a in self.animals]

    @property
    def frame_indices(self) -> range:
        return range(self.start, self.start + self.frames)

    def camera(self, name: str) -> CameraInfo:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise DatasetError(f"no camera {name!r} in this dataset (has {self.camera_names})")

    @property
    def camera_names(self) -> list[str]:
        return [c.name for c in self.cameras]

    def pick_camera(self, name: str | None) -> str:
        """The camera a one-camera reader uses, one rule for every ``--camera`` (export, pose,
        gap, style, the sweep): ``name`` if the dataset has it; no name: the dataset's only
        camera, and with several an error naming them (no silent first camera)."""
        if name is None:
            if len(self.cameras) == 1:
                return self.cameras[0].name
            raise DatasetError(f"the dataset has cameras {', '.join(self.camera_names)}; pick one with --camera")
        self.camera(name)  # a DatasetError naming the cameras
        return name

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["skeleton"] = [list(e) for e in self.skeleton]
        out["swap_pairs"] = [list(p) for p in self.swap_pairs]
        if not self.animals:
            del out["animals"]  # one animal: dataset.json as before
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "dataset.json") -> DatasetMeta:
        fmt = data.get("format")
        if fmt not in READABLE_FORMATS:
            raise DatasetError(f"{source}: format {fmt!r} is not one of {', '.join(READABLE_FORMATS)}")
        try:
            return cls(
                scene=data["scene"],
                scene_sha256=data["scene_sha256"],
                seed=int(data["seed"]),
                frames=int(data["frames"]),
                start=int(data.get("start", 0)),
                keypoints=list(data["keypoints"]),
                cameras=[CameraInfo(**c) for c in data["cameras"]],
                skeleton=[tuple(e) for e in data.get("skeleton", [])],
                swap_pairs=[tuple(p) for p in data.get("swap_pairs", [])],
                mask_ids=dict(data.get("mask_ids", {})),
                versions=dict(data.get("versions", {})),
                extra=dict(data.get("extra", {})),
                format=fmt,
                animals=[{"name": str(a["name"]), "asset": str(a["asset"])} for a in data.get("animals", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"{source}: malformed ({exc!r})") from exc

    @classmethod
    def load(cls, path: Path) -> DatasetMeta:
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise DatasetError(f"{path}: not found; is this a simgen dataset directory?") from None
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: not valid JSON ({exc})") from None
        return cls.from_json(data, str(path))
