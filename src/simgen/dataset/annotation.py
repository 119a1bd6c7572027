"""One frame's labels (``annotations/<frame>.json``), as arrays.

Conventions (OpenCV): ``x_cam = R @ X + t``; camera x right, y down, z forward;
``(u, v) = (K @ x_cam)[:2] / z``; pixel centers at integer coordinates, origin at
the center of the top-left pixel. World units are meters.

Keypoint visibility ``v``: 2 visible, 1 occluded (by the animal or a rig part),
0 outside the image. Keypoints with v == 0 keep their projected coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CameraLabel:
        kp = np.asarray(d["keypoints"], dtype=float).reshape(-1, 3)
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
class FrameAnnotation:
    frame: int
    params: dict[str, Any]
    keypoints_3d: np.ndarray  # (N, 3) world meters, order of dataset.json keypoints
    cameras: dict[str, CameraLabel] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "frame": int(self.frame),
            "params": self.params,
            "keypoints_3d": np.asarray(self.keypoints_3d, float).tolist(),
            "cameras": {name: cam.to_json() for name, cam in self.cameras.items()},
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FrameAnnotation:
        return cls(
            frame=int(d["frame"]),
            params=d.get("params", {}),
            keypoints_3d=np.asarray(d["keypoints_3d"], float).reshape(-1, 3),
            cameras={k: CameraLabel.from_json(v) for k, v in d["cameras"].items()},
        )
