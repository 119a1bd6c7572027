"""Placement that follows behavior: along the walls, into the corners, rearing at a wall.

Real mice in an open field spend most of their time at the walls (thigmotaxis), walk
along them, push their head into corners and rear up against the walls. The
``uniform`` placement mode draws x, y and yaw from the scene as they are; the
``behavior`` mode (independent frames) uses the rig's ``arena`` and, per frame:

- with probability ``corner``: a corner (one of four), heading into it (within +-40 deg
  of the corner's diagonal), the body slid into the corner until its nearest parts are
  ``wall_gap`` from both walls;
- else with probability ``wall``: a wall (chosen by length), heading along it (either
  way, ``heading_jitter_deg`` std), the body ``wall_gap`` from it, anywhere along it;
- else the open field: x, y and yaw as drawn, the body moved inside the walls if needed.

A ``rear_wall`` pose always goes to a wall, facing it, its nearest part (head or
forepaws) ``wall_gap`` from it, the forepaws within about 2 cm of it.

No body part goes through a wall: the posed skeleton (bone segments sampled along
their length, each with a body radius, plus every keypoint) is placed in 3D and the
animal's origin is limited to the rectangle where every sample stays inside the
arena's inner walls by its radius (``feasible_box``, exact for the sampled body).
Pure numpy; the same (scene, frame) gives the same placement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.errors import SimgenError

# Body radius around each bone (m at scale 1): the mesh's half-thickness, rounded up.
TRUNK_RADIUS = 0.014
HEAD_RADIUS = 0.009
LIMB_RADIUS = 0.004
TAIL_RADIUS = 0.003
KEYPOINT_RADIUS = 0.003
SAMPLES_PER_BONE = 5
CORNER_SPREAD_DEG = 40.0


def bone_radius(name: str) -> float:
    if name.startswith("spine"):
        return TRUNK_RADIUS
    if name in ("head", "neck"):
        return HEAD_RADIUS
    if name.startswith("tail"):
        return TAIL_RADIUS
    return LIMB_RADIUS


@dataclass(frozen=True)
class ArenaBox:
    """Inner floor rectangle of an ``arena`` rig item: center, yaw, half sizes, wall height."""

    cx: float
    cy: float
    yaw_deg: float
    hx: float
    hy: float
    height: float

    def to_local(self, xy: np.ndarray) -> np.ndarray:
        """World (..., 2) -> arena frame (..., 2)."""
        c, s = np.cos(np.radians(self.yaw_deg)), np.sin(np.radians(self.yaw_deg))
        d = np.asarray(xy, float) - [self.cx, self.cy]
        return np.stack([c * d[..., 0] + s * d[..., 1], -s * d[..., 0] + c * d[..., 1]], axis=-1)

    def to_world(self, xy: np.ndarray) -> np.ndarray:
        c, s = np.cos(np.radians(self.yaw_deg)), np.sin(np.radians(self.yaw_deg))
        p = np.asarray(xy, float)
        return np.stack([c * p[..., 0] - s * p[..., 1] + self.cx, s * p[..., 0] + c * p[..., 1] + self.cy], axis=-1)

    def clearance(self, points: np.ndarray, radii: np.ndarray | float = 0.0) -> np.ndarray:
        """Distance from each world point (N, 3) to the nearest inner wall, minus its radius
        (< 0: through a wall). Points above the wall's top are clear of it."""
        p = self.to_local(points[:, :2])
        d = np.minimum(self.hx - np.abs(p[:, 0]), self.hy - np.abs(p[:, 1])) - radii
        return np.where(points[:, 2] > self.height, np.inf, d)


def arena_box(rig) -> ArenaBox | None:
    """The first ``arena`` item of a frame's rig (RigSpecs), or None. Its size is the inner
    floor (x, y) and the wall height, times its scale; only a yaw rotation is supported."""
    for item in rig:
        if item.asset != "arena" or item.size is None:
            continue
        rx, ry, rz = item.rotation_deg
        if abs(rx) > 1e-6 or abs(ry) > 1e-6:
            raise SimgenError(f"rig item {item.name}: behavior placement needs an arena rotated about z only")
        sx, sy, sz = item.scale
        return ArenaBox(float(item.position[0]), float(item.position[1]), float(rz),
                        0.5 * item.size[0] * sx, 0.5 * item.size[1] * sy, item.size[2] * sz + item.position[2])
    return None


def body_samples(skeleton, angles, girth: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(points (N, 3) in the animal's frame at scale 1, radii (N,)): samples along every
    posed bone and every keypoint. ``girth`` (``animal.shape.girth``) widens the trunk and
    moves the legs out with it; the other radii grow by that widening, conservatively."""
    heads, tails = skeleton.bone_points(angles)
    t = np.linspace(0.0, 1.0, SAMPLES_PER_BONE)[None, :, None]
    seg = (heads[:, None] + t * (tails - heads)[:, None]).reshape(-1, 3)
    widen = max(0.0, girth - 1.0) * TRUNK_RADIUS
    rad = np.repeat([bone_radius(b) * girth if b.startswith("spine") else bone_radius(b) + widen
                     for b in skeleton.bone_names], SAMPLES_PER_BONE)
    kps = skeleton.keypoints_posed(angles)
    return np.concatenate([seg, kps]), np.concatenate([rad, np.full(len(kps), KEYPOINT_RADIUS + widen)])


def place_points(points: np.ndarray, x: float, y: float, z: float, yaw_deg: float, scale: float) -> np.ndarray:
    """Animal-frame points -> world, as the renderer places the armature (scale, yaw, move)."""
    c, s = np.cos(np.radians(yaw_deg)), np.sin(np.radians(yaw_deg))
    p = np.asarray(points, float) * scale
    return np.stack([c * p[:, 0] - s * p[:, 1] + x, s * p[:, 0] + c * p[:, 1] + y, p[:, 2] + z], axis=1)


def feasible_box(arena: ArenaBox, local_pts: np.ndarray, radii: np.ndarray, yaw_arena_deg: float,
                 scale: float, margin: float = 0.0) -> tuple[float, float, float, float] | None:
    """(xlo, xhi, ylo, yhi): where the origin may go (arena frame) with every body sample
    inside the walls by its radius + ``margin``, at heading ``yaw_arena_deg`` (arena frame).
    None when the body does not fit at that heading."""
    c, s = np.cos(np.radians(yaw_arena_deg)), np.sin(np.radians(yaw_arena_deg))
    p = local_pts * scale
    ox, oy = c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1]
    r = radii * scale + margin
    box = (float(np.max(-arena.hx + r - ox)), float(np.min(arena.hx - r - ox)),
           float(np.max(-arena.hy + r - oy)), float(np.min(arena.hy - r - oy)))
    return box if box[0] <= box[1] and box[2] <= box[3] else None


def _wall_frame(wall: int) -> tuple[float, int, int]:
    """Wall 0..3 = +x, +y, -x, -y: (outward normal angle, axis it bounds (0 x, 1 y), side +-1)."""
    return (0.0, 90.0, 180.0, 270.0)[wall], wall % 2, (1, 1, -1, -1)[wall]


def behavior_placement(arena: ArenaBox, skeleton, angles, preset: str, scale: float, drawn: tuple[float, float, float],
                       probs: tuple[float, float], girth: float, gap: float, jitter_deg: float,
                       rng: np.random.Generator) -> tuple[float, float, float, str]:
    """(x, y, yaw_deg, where) of one frame; ``drawn`` = the scene's (x, y, yaw) for the open
    field, ``probs`` = (corner, wall), ``where`` in {"corner", "wall", "rear_wall", "open"}."""
    pts, rad = body_samples(skeleton, angles, girth)
    u, side_u, along_u = rng.uniform(), rng.uniform(), rng.uniform()
    jitter = rng.normal(0.0, jitter_deg)
    lengths = np.array([arena.hy, arena.hx, arena.hy, arena.hx])
    wall = int(rng.choice(4, p=lengths / lengths.sum()))
    corner = int(rng.integers(4))
    spread = rng.uniform(-CORNER_SPREAD_DEG, CORNER_SPREAD_DEG)

    def finish(local_xy, yaw_arena, where):
        wx, wy = arena.to_world(np.asarray(local_xy, float))
        return float(wx), float(wy), float((yaw_arena + arena.yaw_deg) % 360.0), where

    def lerp(lo, hi, t):
        return lo + t * (hi - lo)

    if preset == "rear_wall" or u < probs[0] + probs[1]:
        if preset == "rear_wall":
            normal, axis, sign = _wall_frame(wall)
            yaw, where = normal + 0.5 * jitter, "rear_wall"  # facing the wall
        elif u < probs[0]:
            yaw, where = 45.0 + 90.0 * corner + spread, "corner"
        else:
            normal, axis, sign = _wall_frame(wall)
            yaw, where = normal + (90.0 if side_u < 0.5 else -90.0) + jitter, "wall"
        box = feasible_box(arena, pts, rad, yaw, scale, gap)
        if box is not None:
            xlo, xhi, ylo, yhi = box
            if where == "corner":
                sx, sy = ((1, 1), (-1, 1), (-1, -1), (1, -1))[corner]
                return finish((xhi if sx > 0 else xlo, yhi if sy > 0 else ylo), yaw, where)
            if axis == 0:
                return finish((xhi if sign > 0 else xlo, lerp(ylo, yhi, along_u)), yaw, where)
            return finish((lerp(xlo, xhi, along_u), yhi if sign > 0 else ylo), yaw, where)
    # open field (or a wall heading the body does not fit at): the drawn values, kept inside
    x, y, yaw_world = drawn
    yaw, box = yaw_world - arena.yaw_deg, None
    for turn in range(0, 360, 15):  # a body longer than the arena at this heading: turn it
        box = feasible_box(arena, pts, rad, yaw + turn, scale)
        if box is not None:
            yaw += turn
            break
    if box is None:
        raise SimgenError("the animal does not fit inside the arena at any heading")
    lx, ly = arena.to_local(np.array([x, y], float))
    return finish((float(np.clip(lx, box[0], box[1])), float(np.clip(ly, box[2], box[3]))), yaw, "open")
