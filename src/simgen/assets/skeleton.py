"""Armature as plain data: bones (Blender edit-bone head/tail/roll), joint limits,
keypoints anchored to bones, and forward kinematics that matches Blender.

Conventions (same as ``mouse.json``): coordinates are armature object space in meters;
a bone's rest matrix is Blender's ``bone.matrix_local`` (local Y along the bone, roll
about Y); a pose is ``{bone: [rx, ry, rz]}`` in degrees, applied as the pose bone's
``rotation_euler`` in ``'XYZ'`` mode (matrix ``Rz @ Ry @ Rx``) relative to rest; every
bone inherits its parent's rotation. A posed point anchored to bone b is
``pose[b] @ inv(rest[b]) @ rest_point``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from simgen.errors import SimgenError

AXES = ("x", "y", "z")


class SkeletonError(SimgenError):
    """A skeleton or a pose refers to unknown bones or is malformed."""


@dataclass
class Bone:
    name: str
    parent: str | None
    head: np.ndarray
    tail: np.ndarray
    roll: float = 0.0  # radians, Blender's edit-bone roll
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # degrees; absent axis = locked

    def limit_array(self) -> np.ndarray:
        """(3, 2) degrees, locked axes as (0, 0)."""
        return np.array([self.limits.get(a, (0.0, 0.0)) for a in AXES], dtype=float)


@dataclass
class Keypoint:
    name: str
    bone: str
    rest: np.ndarray


# ---------------------------------------------------------------- Blender's bone matrix
def vec_roll_to_mat3(direction: np.ndarray, roll: float) -> np.ndarray:
    """Blender's ``vec_roll_to_mat3``: rotation taking +Y to ``direction``, then roll about it."""
    nor = np.asarray(direction, dtype=float)
    nor = nor / np.linalg.norm(nor)
    x, y, z = nor
    theta = 1.0 + y
    theta_alt = x * x + z * z
    if theta > 1e-5 or theta_alt > 1e-9:
        if theta <= 1e-5:  # near -Y: series expansion keeps it stable (as Blender does)
            theta = theta_alt * 0.5 + theta_alt * theta_alt * 0.125
        b = np.array([[1 - x * x / theta, x, -x * z / theta],
                      [-x, y, -z],
                      [-x * z / theta, z, 1 - z * z / theta]])
    else:
        b = np.diag([-1.0, -1.0, 1.0])
    return axis_angle(nor, roll) @ b


def axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    ax = np.asarray(axis, dtype=float)
    ax = ax / np.linalg.norm(ax)
    k = np.array([[0, -ax[2], ax[1]], [ax[2], 0, -ax[0]], [-ax[1], ax[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def roll_for_x_axis(head: np.ndarray, tail: np.ndarray, target_x: np.ndarray) -> float:
    """Roll that turns the bone's local X axis as close as possible to ``target_x``."""
    d = np.asarray(tail, float) - np.asarray(head, float)
    d = d / np.linalg.norm(d)
    x0 = vec_roll_to_mat3(d, 0.0)[:, 0]
    t = np.asarray(target_x, float)
    t = t - d * (t @ d)
    if np.linalg.norm(t) < 1e-9:
        raise SkeletonError("roll target is parallel to the bone")
    return float(np.arctan2(np.cross(x0, t) @ d, x0 @ t))


def euler_xyz(angles_deg: np.ndarray) -> np.ndarray:
    """(..., 3) degrees -> (..., 3, 3) rotation, Blender 'XYZ' order (Rz @ Ry @ Rx)."""
    a = np.radians(np.asarray(angles_deg, dtype=float))
    cx, cy, cz = np.cos(a[..., 0]), np.cos(a[..., 1]), np.cos(a[..., 2])
    sx, sy, sz = np.sin(a[..., 0]), np.sin(a[..., 1]), np.sin(a[..., 2])
    m = np.empty(a.shape[:-1] + (3, 3))
    m[..., 0, 0] = cy * cz
    m[..., 0, 1] = sx * sy * cz - cx * sz
    m[..., 0, 2] = cx * sy * cz + sx * sz
    m[..., 1, 0] = cy * sz
    m[..., 1, 1] = sx * sy * sz + cx * cz
    m[..., 1, 2] = cx * sy * sz - sx * cz
    m[..., 2, 0] = -sy
    m[..., 2, 1] = sx * cy
    m[..., 2, 2] = cx * cy
    return m


# ---------------------------------------------------------------- skeleton
@dataclass
class Skeleton:
    bones: list[Bone]
    keypoints: list[Keypoint]

    def __post_init__(self) -> None:
        self._cache = None
        self._index = {b.name: i for i, b in enumerate(self.bones)}
        if len(self._index) != len(self.bones):
            raise SkeletonError("duplicate bone names")
        for i, b in enumerate(self.bones):
            if b.parent is not None and (b.parent not in self._index or self._index[b.parent] >= i):
                raise SkeletonError(f"bone {b.name!r}: parent {b.parent!r} must be listed before it")
        for k in self.keypoints:
            if k.bone not in self._index:
                raise SkeletonError(f"keypoint {k.name!r} is on unknown bone {k.bone!r}")

    # --- lookups
    @property
    def bone_names(self) -> list[str]:
        return [b.name for b in self.bones]

    @property
    def keypoint_names(self) -> list[str]:
        return [k.name for k in self.keypoints]

    def bone(self, name: str) -> Bone:
        try:
            return self.bones[self._index[name]]
        except KeyError:
            raise SkeletonError(f"no bone {name!r}") from None

    def limits(self) -> np.ndarray:
        """(B, 3, 2) degrees."""
        return np.stack([b.limit_array() for b in self.bones])

    # --- angles
    def angle_array(self, angles: Mapping[str, Sequence[float]] | None) -> np.ndarray:
        """``{bone: [rx, ry, rz]}`` -> (B, 3) degrees; unknown bones are an error."""
        out = np.zeros((len(self.bones), 3))
        for name, v in (angles or {}).items():
            if name not in self._index:
                raise SkeletonError(f"pose names unknown bone {name!r}")
            v = np.asarray(v, dtype=float)
            if v.shape != (3,) or not np.all(np.isfinite(v)):
                raise SkeletonError(f"pose angles of {name!r} must be 3 finite numbers, got {v.tolist()}")
            out[self._index[name]] = v
        return out

    def angle_dict(self, arr: np.ndarray, drop_zero: bool = True) -> dict[str, list[float]]:
        return {b.name: [float(v) for v in arr[i]] for i, b in enumerate(self.bones)
                if not (drop_zero and not np.any(arr[i]))}

    def clip(self, angles: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
        lim = self.limits()
        arr = np.clip(self.angle_array(angles), lim[..., 0], lim[..., 1])
        return self.angle_dict(arr)

    def violations(self, angles: Mapping[str, Sequence[float]], tol: float = 1e-6) -> list[str]:
        lim = self.limits()
        arr = self.angle_array(angles)
        bad = (arr < lim[..., 0] - tol) | (arr > lim[..., 1] + tol)
        return [f"{self.bones[i].name}.{AXES[j]}={arr[i, j]:.2f} not in [{lim[i, j, 0]:g}, {lim[i, j, 1]:g}]"
                for i, j in zip(*np.nonzero(bad))]

    # --- kinematics
    def _rest_cache(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
        """(rest, inv(rest), parent-relative rest, parent index) computed once: bones are
        treated as immutable after construction."""
        if getattr(self, "_cache", None) is None:
            rest = np.tile(np.eye(4), (len(self.bones), 1, 1))
            for i, b in enumerate(self.bones):
                rest[i, :3, :3] = vec_roll_to_mat3(b.tail - b.head, b.roll)
                rest[i, :3, 3] = b.head
            inv = np.linalg.inv(rest)
            parent = [-1 if b.parent is None else self._index[b.parent] for b in self.bones]
            local = np.stack([rest[i] if p < 0 else inv[p] @ rest[i] for i, p in enumerate(parent)])
            self._cache = (rest, inv, local, parent)
        return self._cache

    def rest_matrices(self) -> np.ndarray:
        """(B, 4, 4): Blender's ``bone.matrix_local`` for each bone."""
        return self._rest_cache()[0].copy()

    def pose_matrices(self, angles: Mapping[str, Sequence[float]] | np.ndarray | None = None) -> np.ndarray:
        """(B, 4, 4): pose-bone matrices in armature space (Blender's ``pose_bone.matrix``)."""
        arr = angles if isinstance(angles, np.ndarray) else self.angle_array(angles)
        _, _, local, parent = self._rest_cache()
        rot = np.tile(np.eye(4), (len(self.bones), 1, 1))
        rot[:, :3, :3] = euler_xyz(arr)
        rel = local @ rot
        out = np.empty_like(rel)
        for i, p in enumerate(parent):
            out[i] = rel[i] if p < 0 else out[p] @ rel[i]
        return out

    def skinning_matrices(self, angles=None) -> np.ndarray:
        """(B, 4, 4): pose @ inv(rest), what moves a rest-space point bound to each bone."""
        return self.pose_matrices(angles) @ self._rest_cache()[1]

    def keypoints_rest(self) -> np.ndarray:
        return np.array([k.rest for k in self.keypoints], dtype=float).reshape(-1, 3)

    def keypoints_posed(self, angles=None) -> np.ndarray:
        """(K, 3) keypoints in armature space for a pose."""
        skin = self.skinning_matrices(angles)
        idx = np.array([self._index[k.bone] for k in self.keypoints])
        p = self.keypoints_rest()
        return np.einsum("kij,kj->ki", skin[idx, :3, :3], p) + skin[idx, :3, 3]

    def bone_points(self, angles=None) -> tuple[np.ndarray, np.ndarray]:
        """Posed (heads, tails), each (B, 3), in armature space."""
        pm = self.pose_matrices(angles)
        length = np.array([np.linalg.norm(b.tail - b.head) for b in self.bones])
        heads = pm[:, :3, 3]
        tails = heads + pm[:, :3, 1] * length[:, None]
        return heads, tails

    def scaled(self, k: float) -> "Skeleton":
        """The same skeleton with every coordinate multiplied by ``k`` (limits unchanged)."""
        bones = [Bone(b.name, b.parent, b.head * k, b.tail * k, b.roll, dict(b.limits)) for b in self.bones]
        return Skeleton(bones, [Keypoint(kp.name, kp.bone, kp.rest * k) for kp in self.keypoints])

    # --- serialization (the ``bones``/``keypoints`` entries of mouse.json)
    def to_dict(self) -> dict[str, Any]:
        return {
            "bones": [{"name": b.name, "parent": b.parent, "head": _r(b.head), "tail": _r(b.tail),
                       "roll": float(b.roll), "limits": {a: [float(v) for v in lim] for a, lim in b.limits.items()}}
                      for b in self.bones],
            "keypoints": [{"name": k.name, "bone": k.bone, "rest": _r(k.rest)} for k in self.keypoints],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Skeleton":
        try:
            bones = [Bone(name=b["name"], parent=b.get("parent"), head=np.asarray(b["head"], float),
                          tail=np.asarray(b["tail"], float), roll=float(b.get("roll", 0.0)),
                          limits={a: (float(v[0]), float(v[1])) for a, v in (b.get("limits") or {}).items()})
                     for b in d["bones"]]
            kps = [Keypoint(name=k["name"], bone=k["bone"], rest=np.asarray(k["rest"], float))
                   for k in d["keypoints"]]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SkeletonError(f"malformed skeleton data: {exc}") from exc
        return cls(bones, kps)


def _r(v: np.ndarray) -> list[float]:
    return [float(x) for x in v]  # full precision: mouse.json must equal default_skeleton()


def mirror_angles(angles: Sequence[float]) -> list[float]:
    """A left bone's angles as its right twin's (bones rolled so local X is the +y side):
    a mirror reflection keeps rx and negates ry, rz."""
    rx, ry, rz = angles
    return [rx, -ry, -rz]
