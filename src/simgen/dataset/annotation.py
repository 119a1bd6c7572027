"""One frame's labels (``annotations/<frame>.json``), as arrays.

Conventions (OpenCV): ``x_cam = R @ X + t``; camera x right, y down, z forward;
``(u, v) = (K @ x_cam)[:2] / z``; pixel centers at integer coordinates, origin at
the center of the top-left pixel. World units are meters.

Keypoint visibility ``v``: 2 visible, 1 occluded (by the animal, another animal or a
rig part), 0 outside the image. Keypoints with v == 0 keep their projected coordinates.

In memory a frame's animals are one list, ``FrameAnnotation.animals`` (one animal is a list
of one), each an ``AnimalLabels`` whose cameras are full ``CameraLabel``s. The file has two
forms, and ``to_json``/``from_json`` are the one place that tells them apart:
- one animal (``simgen-dataset/1``; the animal's ``name`` is None): top-level
  ``keypoints_3d``, and ``cameras`` with the animal's ``keypoints`` and ``bbox``;
- several animals (issue 16, ``simgen-dataset/1.1``; each named): the top-level ``cameras``
  hold each camera's K, R, t and size only, and ``instances`` lists the animals in
  ``dataset.json``'s order, each with ``name``, ``track`` (its index there),
  ``keypoints_3d`` and per camera ``keypoints`` and ``bbox``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

VISIBLE, OCCLUDED, OUTSIDE = 2, 1, 0


@dataclass
class CameraLabel:
    K: np.ndarray  # (3, 3)
    R: np.ndarray  # (3, 3)
    t: np.ndarray  # (3,)
    width: int
    height: int
    keypoints: np.ndarray  # (N, 3): x, y, v
    bbox: np.ndarray | None = None  # (4,): x0, y0, x1, y1; None when the animal is not seen
    dist: np.ndarray | None = None  # (5,) OpenCV k1, k2, p1, p2, k3; keypoints are then distorted pixels

    def to_json(self) -> dict[str, Any]:
        return {
            "K": np.asarray(self.K, float).tolist(),
            "R": np.asarray(self.R, float).tolist(),
            "t": np.asarray(self.t, float).tolist(),
            "width": int(self.width),
            "height": int(self.height),
            "keypoints": [[float(x), float(y), int(v)] for x, y, v in np.asarray(self.keypoints)],
            "bbox": None if self.bbox is None else np.asarray(self.bbox, float).tolist(),
            **({} if self.dist is None else {"dist": np.asarray(self.dist, float).tolist()}),
        }

    def camera_json(self) -> dict[str, Any]:
        """The camera alone (K, R, t, size, dist): a camera entry of a several-animal frame."""
        d = self.to_json()
        del d["keypoints"], d["bbox"]
        return d

    def with_labels(self, keypoints: np.ndarray, bbox: np.ndarray | None) -> CameraLabel:
        return CameraLabel(K=self.K, R=self.R, t=self.t, width=self.width, height=self.height,
                           keypoints=np.asarray(keypoints, float).reshape(-1, 3), bbox=bbox, dist=self.dist)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CameraLabel:
        kp = np.asarray(d.get("keypoints", []), dtype=float).reshape(-1, 3)
        return cls(
            K=np.asarray(d["K"], float).reshape(3, 3),
            R=np.asarray(d["R"], float).reshape(3, 3),
            t=np.asarray(d["t"], float).reshape(3),
            width=int(d["width"]),
            height=int(d["height"]),
            keypoints=kp,
            bbox=None if d.get("bbox") is None else np.asarray(d["bbox"], float).reshape(4),
            dist=None if d.get("dist") is None else np.asarray(d["dist"], float).reshape(5),
        )

    @property
    def xy(self) -> np.ndarray:
        return self.keypoints[:, :2]

    @property
    def visibility(self) -> np.ndarray:
        return self.keypoints[:, 2].astype(int)

    @property
    def P(self) -> np.ndarray:
        """3x4 projection matrix K [R | t]."""
        return self.K @ np.hstack([self.R, self.t[:, None]])


@dataclass
class AnimalLabels:
    """One animal's labels in a frame: its name, track (index in dataset.json's animals),
    3-D keypoints and one full ``CameraLabel`` per camera. ``name`` is None for the animal of
    a one-animal dataset (written in the one-animal form)."""

    name: str | None
    track: int
    keypoints_3d: np.ndarray
    cameras: dict[str, CameraLabel]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "track": int(self.track),
            "keypoints_3d": np.asarray(self.keypoints_3d, float).tolist(),
            "cameras": {name: {"keypoints": cam.to_json()["keypoints"], "bbox": cam.to_json()["bbox"]}
                        for name, cam in self.cameras.items()},
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], cameras: dict[str, CameraLabel]) -> AnimalLabels:
        return cls(
            name=str(d["name"]),
            track=int(d["track"]),
            keypoints_3d=np.asarray(d["keypoints_3d"], float).reshape(-1, 3),
            cameras={k: cameras[k].with_labels(
                np.asarray(v["keypoints"], float).reshape(-1, 3),
                None if v.get("bbox") is None else np.asarray(v["bbox"], float).reshape(4))
                for k, v in d["cameras"].items()},
        )


@dataclass
class FrameAnnotation:
    frame: int
    params: dict[str, Any]
    animals: list[AnimalLabels]  # in dataset.json's order; one animal: a list of one (name None)

    @property
    def one_animal(self) -> bool:
        """Written in the one-animal form (``simgen-dataset/1``): one animal without a name."""
        return len(self.animals) == 1 and self.animals[0].name is None

    @property
    def cameras(self) -> dict[str, CameraLabel]:
        """Each camera's K, R, t, size and lens (no keypoints, no box): the same in every
        animal's labels, taken from the first."""
        if not self.animals:
            return {}
        return {name: cam.with_labels(np.zeros((0, 3)), None) for name, cam in self.animals[0].cameras.items()}

    def to_json(self) -> dict[str, Any]:
        if self.one_animal:
            animal = self.animals[0]
            return {
                "frame": int(self.frame),
                "params": self.params,
                "keypoints_3d": np.asarray(animal.keypoints_3d, float).tolist(),
                "cameras": {name: cam.to_json() for name, cam in animal.cameras.items()},
            }
        return {
            "frame": int(self.frame),
            "params": self.params,
            "cameras": {name: cam.camera_json() for name, cam in self.cameras.items()},
            "instances": [a.to_json() for a in self.animals],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FrameAnnotation:
        cameras = {k: CameraLabel.from_json(v) for k, v in d["cameras"].items()}
        if "instances" in d:
            animals = [AnimalLabels.from_json(a, cameras) for a in d["instances"]]
        else:
            animals = [AnimalLabels(None, 0, np.asarray(d["keypoints_3d"], float).reshape(-1, 3), cameras)]
        return cls(frame=int(d["frame"]), params=d.get("params", {}), animals=animals)
