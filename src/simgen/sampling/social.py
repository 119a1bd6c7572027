"""Several animals in one frame: social configurations and placement without interpenetration.

Each animal after the first is placed in a configuration drawn by the scene's ``social``
weights, relative to a partner drawn among the animals placed before it:

- ``independent``: its own placement (``placement.*``, behavior mode included), anywhere
  clear of the others;
- ``nose_to_nose``: facing the partner's snout, snouts 1-2 cm apart;
- ``following``: the partner's heading, its snout 1-3 cm behind and beside the partner's
  tail base;
- ``side_by_side``: parallel (either side), slid sideways until the bodies touch;
- ``huddle``: any heading, slid toward the partner from any side until the bodies touch;
- ``on_top``: over the partner's back, raised until only shallow contact is left.

The bodies are compared in 3D: spheres along every posed bone (numpy forward kinematics
of the asset's skeleton, ``SAMPLES_PER_BONE`` a bone), with radii that enclose the
bundled mouse's skin at rest within 0.4 mm (the head tapers to the snout), padded by
nothing and allowed to overlap by ``TOLERANCE_M`` (fur gives). Two animals interpenetrate
when any pair of their spheres overlaps by more than that (``on_top``: by more than
``ON_TOP_DEPTH_M``). Every animal also stays inside the arena's walls
(``placement.ArenaBox.clearance`` on the bodies the wall check uses).

The configurations are drawn once per frame (so their frequencies are the scene's
weights); placements are drawn again, from generators keyed by (frame, try), until all
animals are clear, at most ``social.tries`` times, then a ``SimgenError`` says why.
Pure numpy: the same (scene, frame) gives the same placements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simgen.choices import SocialConfig
from simgen.errors import SimgenError
from simgen.sampling.placement import ArenaBox, body_samples, place_points

SAMPLES_PER_BONE = 6
TOLERANCE_M = 0.001  # overlap two bodies may have (fur), at scale 1
CONTACT_M = 0.0005  # touching configurations slide until the overlap is this
ON_TOP_DEPTH_M = 0.003  # on_top: the rider sinks this far into the partner's back
NOSE_GAP_M = (0.01, 0.02)
FOLLOW_GAP_M = (0.01, 0.03)
SLIDE_SNOUT_M = 0.02  # nose to nose, following: how much farther the snout may go to clear the partner
SLIDE_STEP_M = 0.006  # touching configurations approach in steps this long, then bisect
TRIES_PER_ANIMAL = 8  # placements of one animal before the whole frame is drawn again
MAX_FILL = 0.5  # most of the arena floor the animals' bodies may cover together


def sphere_radius(bone: str, u: np.ndarray) -> np.ndarray:
    """Body radius (m at scale 1) at fraction ``u`` along ``bone``: the bundled mouse's skin
    at rest lies inside these spheres within 0.4 mm (measured on mouse.glb)."""
    u = np.asarray(u, float)
    if bone == "head":
        return 0.0095 + (0.004 - 0.0095) * u  # skull base to snout
    if bone == "neck":
        return np.full_like(u, 0.0105)
    if bone.startswith("spine"):
        return np.full_like(u, 0.0155)
    if bone.startswith("ear"):
        return np.full_like(u, 0.005)
    if bone.startswith("tail"):
        return np.full_like(u, 0.003)
    return np.full_like(u, 0.004)  # legs, paws, jaw


def body_spheres(skeleton, angles, girth: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(centers (N, 3) in the animal's frame at scale 1, radii (N,)) of a posed body;
    ``girth`` (``animal.shape.girth``) widens the trunk's spheres and, by the same widening,
    the others (the legs move out with the trunk)."""
    heads, tails = skeleton.bone_points(angles)
    u = np.linspace(0.0, 1.0, SAMPLES_PER_BONE)
    pts = (heads[:, None] + u[None, :, None] * (tails - heads)[:, None]).reshape(-1, 3)
    widen = max(0.0, girth - 1.0) * float(sphere_radius("spine", u[:1])[0])
    rad = np.concatenate([sphere_radius(b, u) * girth if b.startswith("spine") else sphere_radius(b, u) + widen
                          for b in skeleton.bone_names])
    return pts, rad


def overlap(a_pts: np.ndarray, a_rad: np.ndarray, b_pts: np.ndarray, b_rad: np.ndarray) -> float:
    """Deepest overlap of two sphere sets (m; <= 0: apart, the gap's negative)."""
    # only spheres that reach into the other body's bounding box can overlap it
    a_lo, a_hi = (a_pts - a_rad[:, None]).min(axis=0), (a_pts + a_rad[:, None]).max(axis=0)
    b_lo, b_hi = (b_pts - b_rad[:, None]).min(axis=0), (b_pts + b_rad[:, None]).max(axis=0)
    ka = ((a_pts + a_rad[:, None] >= b_lo) & (a_pts - a_rad[:, None] <= b_hi)).all(axis=1)
    kb = ((b_pts + b_rad[:, None] >= a_lo) & (b_pts - b_rad[:, None] <= a_hi)).all(axis=1)
    if not ka.any() or not kb.any():
        gap = np.maximum(b_lo - a_hi, a_lo - b_hi).max()
        return -float(gap)
    a_pts, a_rad, b_pts, b_rad = a_pts[ka], a_rad[ka], b_pts[kb], b_rad[kb]
    diff = a_pts[:, None, :] - b_pts[None, :, :]
    d = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return float((a_rad[:, None] + b_rad[None, :] - d).max())


@dataclass
class Pose:
    """One placement of an animal: origin, heading, scale (as ``PlacementSpec`` plus scale)."""

    x: float
    y: float
    z: float
    yaw_deg: float
    region: str | None = None


@dataclass
class Body:
    """One animal's posed body in its own frame (scale 1) and the points the configurations use."""

    name: str
    scale: float
    spheres: tuple[np.ndarray, np.ndarray]
    wall: tuple[np.ndarray, np.ndarray]  # body_samples: what the wall check uses
    snout: np.ndarray  # (3,) local, scale 1
    head: np.ndarray
    tail_base: np.ndarray
    center: np.ndarray  # middle of the trunk, local
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, name: str, skeleton, angles, scale: float, girth: float = 1.0) -> Body:
        spheres = body_spheres(skeleton, angles, girth)
        kps = skeleton.keypoints_posed(angles)
        names = skeleton.keypoint_names
        heads, tails = skeleton.bone_points(angles)
        bones = skeleton.bone_names

        def kp(name: str, fallback: np.ndarray) -> np.ndarray:
            return kps[names.index(name)] if name in names else fallback

        trunk = [i for i, b in enumerate(bones) if b.startswith("spine")] or list(range(len(bones)))
        center = 0.5 * (heads[trunk].min(axis=0) + tails[trunk].max(axis=0))
        front = spheres[0][np.argmax(spheres[0][:, 0])]
        back = heads[trunk[0]]
        return cls(name, float(scale), spheres, body_samples(skeleton, angles, girth), kp("snout", front),
                   kp("head", front), kp("tail_base", back), center)

    def world(self, p: Pose) -> tuple[np.ndarray, np.ndarray]:
        key = (p.x, p.y, p.z, p.yaw_deg)
        hit = self._cache.get("world")
        if hit is not None and hit[0] == key:
            return hit[1]
        out = place_points(self.spheres[0], p.x, p.y, p.z, p.yaw_deg, self.scale), self.spheres[1] * self.scale
        self._cache["world"] = (key, out)
        return out

    def point(self, local: np.ndarray, p: Pose) -> np.ndarray:
        return place_points(local[None], p.x, p.y, p.z, p.yaw_deg, self.scale)[0]

    def inside(self, arena: ArenaBox | None, p: Pose) -> bool:
        if arena is None:
            return True
        pts, rad = self.wall
        return bool(arena.clearance(place_points(pts, p.x, p.y, p.z, p.yaw_deg, self.scale),
                                    rad * self.scale).min() >= 0.0)

    def origin_for(self, local: np.ndarray, target_xy: np.ndarray, yaw_deg: float, z: float) -> Pose:
        """The placement at heading ``yaw_deg`` that puts local point ``local`` over ``target_xy``."""
        c, s = np.cos(np.radians(yaw_deg)), np.sin(np.radians(yaw_deg))
        lx, ly = local[0] * self.scale, local[1] * self.scale
        return Pose(float(target_xy[0] - (c * lx - s * ly)), float(target_xy[1] - (s * lx + c * ly)), z,
                    float(yaw_deg % 360.0))


def footprint(body: Body, cell: float = 0.002) -> float:
    """Floor area (m^2) the body covers seen from above: its spheres' disks on a 2 mm grid."""
    pts, rad = body.spheres
    lo, hi = (pts[:, :2] - rad[:, None]).min(axis=0), (pts[:, :2] + rad[:, None]).max(axis=0)
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0], cell), np.arange(lo[1], hi[1], cell))
    g = np.stack([gx.ravel(), gy.ravel()], axis=1)
    covered = np.zeros(len(g), bool)
    for p, r in zip(pts[:, :2], rad):
        covered |= ((g - p) ** 2).sum(axis=1) <= r * r
    return float(covered.sum()) * cell * cell * body.scale ** 2


def check_fit(bodies: list[Body], arena: ArenaBox | None) -> None:
    """Animals that together cover more than ``MAX_FILL`` of the arena's floor cannot be placed
    apart: say so before trying."""
    if arena is None:
        return
    area = 4 * arena.hx * arena.hy
    total = sum(footprint(b) for b in bodies)
    if total > MAX_FILL * area:
        raise SimgenError(
            f"{len(bodies)} animals cover about {total * 1e4:.0f} cm^2 of floor, more than {MAX_FILL:.0%} of the "
            f"arena's {area * 1e4:.0f} cm^2: they do not fit side by side; use fewer animals or a larger arena")


def check_fixed(bodies: list[Body], poses: list[Pose | None], configs: list[str]) -> None:
    """Animals placed on their own at fixed (constant) placements that overlap can never be resolved."""
    for k, (b, p) in enumerate(zip(bodies, poses)):
        for j in range(k):
            if p is None or poses[j] is None or configs[k] != "independent" or configs[j] != "independent":
                continue
            if clash(bodies[j], poses[j], b, p) > 0:
                raise SimgenError(f"animals {bodies[j].name} and {b.name} have fixed placements (constant x, y, "
                                  "yaw) at which their bodies overlap; move one, or give it a range")


def clash(a: Body, pa: Pose, b: Body, pb: Pose, allowed: float = TOLERANCE_M) -> float:
    """How much deeper than ``allowed`` (scaled by the smaller animal) ``a`` and ``b`` overlap;
    <= 0 when they are clear."""
    ap, ar = a.world(pa)
    bp, br = b.world(pb)
    return overlap(ap, ar, bp, br) - allowed * min(a.scale, b.scale)


def _heading(body: Body, p: Pose) -> float:
    """Where the head points (degrees): head keypoint to snout, else the body's yaw."""
    d = body.point(body.snout, p)[:2] - body.point(body.head, p)[:2]
    if np.linalg.norm(d) < 1e-6:
        return p.yaw_deg
    return float(np.degrees(np.arctan2(d[1], d[0])))


def _unit(deg: float) -> np.ndarray:
    return np.array([np.cos(np.radians(deg)), np.sin(np.radians(deg))])


def _slide(make: Callable[[float], Pose], a: Body, pa: Pose, b: Body, target: float, far: float) -> Pose | None:
    """The placement ``make(s)`` with the least ``s`` in [0, far] at which ``b`` overlaps ``a`` by at
    most ``target``: steps of ``SLIDE_STEP_M`` up to the first clear one, then bisection (a tail
    crossing the partner's body makes the overlap rise again along ``s``: no bisection over all)."""
    if clash(a, pa, b, make(0.0), target) <= 0:
        return make(0.0)
    lo = 0.0
    steps = max(1, int(np.ceil(far / SLIDE_STEP_M)))
    for i in range(1, steps + 1):
        hi = min(far, i * SLIDE_STEP_M)
        if clash(a, pa, b, make(hi), target) <= 0:
            break
        lo = hi
    else:
        return None
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        if clash(a, pa, b, make(mid), target) > 0:
            lo = mid
        else:
            hi = mid
    return make(hi)


def _nose_to_nose(a: Body, pa: Pose, b: Body, z_b: float, rng: np.random.Generator) -> Pose | None:
    phi = _heading(a, pa) + rng.uniform(-30.0, 30.0)  # where b's snout sits, seen from a's snout
    gap = rng.uniform(*NOSE_GAP_M) * min(a.scale, b.scale)
    # b's head (not just its body) turned back toward a's snout
    own = np.degrees(np.arctan2(*(b.snout - b.head)[[1, 0]])) if np.linalg.norm((b.snout - b.head)[:2]) > 1e-6 else 0.0
    snout, yaw = a.point(a.snout, pa)[:2], phi + 180.0 - own + rng.normal(0.0, 10.0)
    # a head tucked to the body (curl, groom) leaves no room at the snout: back off up to 2 cm
    return _slide(lambda s: b.origin_for(b.snout, snout + (gap + s) * _unit(phi), yaw, z_b), a, pa, b,
                  TOLERANCE_M * min(a.scale, b.scale), SLIDE_SNOUT_M)


def _following(a: Body, pa: Pose, b: Body, z_b: float, rng: np.random.Generator) -> Pose | None:
    yaw = pa.yaw_deg + rng.normal(0.0, 15.0)
    back = rng.uniform(*FOLLOW_GAP_M) * a.scale
    side = rng.uniform(-0.025, 0.025) * a.scale
    target = a.point(a.tail_base, pa)[:2] - back * _unit(pa.yaw_deg) + side * _unit(pa.yaw_deg + 90.0)
    away = -_unit(pa.yaw_deg)
    return _slide(lambda s: b.origin_for(b.snout, target + s * away, yaw, z_b), a, pa, b,
                  TOLERANCE_M * min(a.scale, b.scale), SLIDE_SNOUT_M)


def _side_by_side(a: Body, pa: Pose, b: Body, z_b: float, rng: np.random.Generator) -> Pose | None:
    yaw = pa.yaw_deg + rng.normal(0.0, 8.0)
    side = 1.0 if rng.uniform() < 0.5 else -1.0
    along = rng.uniform(-0.015, 0.015) * a.scale
    base = a.point(a.center, pa)[:2] + along * _unit(pa.yaw_deg)
    normal = side * _unit(pa.yaw_deg + 90.0)
    return _slide(lambda s: b.origin_for(b.center, base + s * normal, yaw, z_b), a, pa, b,
                  CONTACT_M * min(a.scale, b.scale), 0.25 * max(a.scale, b.scale))


def _huddle(a: Body, pa: Pose, b: Body, z_b: float, rng: np.random.Generator) -> Pose | None:
    yaw = rng.uniform(0.0, 360.0)
    phi = rng.uniform(0.0, 360.0)
    base = a.point(a.center, pa)[:2]
    return _slide(lambda s: b.origin_for(b.center, base + s * _unit(phi), yaw, z_b), a, pa, b,
                  CONTACT_M * min(a.scale, b.scale), 0.25 * max(a.scale, b.scale))


def _on_top(a: Body, pa: Pose, b: Body, z_b: float, rng: np.random.Generator) -> Pose | None:
    yaw = pa.yaw_deg + rng.normal(0.0, 30.0)
    off = rng.uniform(-0.02, 0.02) * a.scale * _unit(pa.yaw_deg) + rng.uniform(-0.012, 0.012) * a.scale * _unit(
        pa.yaw_deg + 90.0)
    flat = b.origin_for(b.center, a.point(a.center, pa)[:2] + off, yaw, z_b)
    depth = ON_TOP_DEPTH_M * min(a.scale, b.scale)
    return _slide(lambda s: Pose(flat.x, flat.y, z_b + s, flat.yaw_deg), a, pa, b, depth, 0.25 * max(a.scale, b.scale))


# registry of choices.SocialConfig, in its order (draw_configs draws by position): how b is
# placed next to a; None: by its own placement (sampling.placement), not relative to a partner
Placer = Callable[[Body, Pose, Body, float, np.random.Generator], Pose | None]
CONFIGS: dict[SocialConfig, Placer | None] = {
    "independent": None, "nose_to_nose": _nose_to_nose, "following": _following,
    "side_by_side": _side_by_side, "huddle": _huddle, "on_top": _on_top,
}


def relative_pose(config: str, a: Body, pa: Pose, b: Body, z_b: float, rng: np.random.Generator) -> Pose | None:
    """Where ``b`` goes in ``config`` next to ``a`` placed at ``pa`` (None: no such placement found);
    ``z_b`` is b's own height (its feet on the floor)."""
    place = CONFIGS.get(config)
    if place is None:
        raise SimgenError(f"unknown social configuration {config!r}")
    return place(a, pa, b, z_b, rng)


def shift_inside(arena: ArenaBox | None, bodies: list[Body], poses: list[Pose]) -> list[Pose] | None:
    """``poses`` all moved by the least translation that puts every body inside the arena's
    walls (their relative placements, hence their contacts, unchanged); None if none does."""
    if arena is None:
        return poses
    lo, hi = np.array([-np.inf, -np.inf]), np.array([np.inf, np.inf])
    for body, p in zip(bodies, poses):
        pts, rad = body.wall
        local = arena.to_local(place_points(pts, p.x, p.y, p.z, p.yaw_deg, body.scale)[:, :2])
        r = rad * body.scale
        half = np.array([arena.hx, arena.hy])
        lo = np.maximum(lo, (-half + r[:, None] - local).max(axis=0))
        hi = np.minimum(hi, (half - r[:, None] - local).min(axis=0))
    if (lo > hi).any():
        return None
    d = np.clip(0.0, lo, hi)
    c, s = np.cos(np.radians(arena.yaw_deg)), np.sin(np.radians(arena.yaw_deg))
    dx, dy = c * d[0] - s * d[1], s * d[0] + c * d[1]
    return [Pose(p.x + dx, p.y + dy, p.z, p.yaw_deg, p.region) for p in poses]


def allowed_overlap(config_b: str, partner_b: int, a: int) -> float:
    """The overlap animal b may have with animal a: on_top's shallow contact with its partner."""
    return ON_TOP_DEPTH_M + TOLERANCE_M if config_b == "on_top" and partner_b == a else TOLERANCE_M


def place_all(bodies: list[Body], configs: list[str], partners: list[int], arena: ArenaBox | None,
              own: Callable[[int, int], Pose], rng_for_try: Callable[[int, int], np.random.Generator],
              tries: int, own_z: list[float], first_try: int = 0) -> list[Pose]:
    """Placements of every animal, clear of each other and inside the arena.

    ``own(k, t)``: animal k's own placement at try t (its placement fields, drawn again for
    t > 0); ``rng_for_try(k, t)``: the generator of animal k's relative placement at try t.
    ``configs[0]`` is ``independent``; ``partners[k] < k``. ``first_try`` offsets the tries'
    generators (a caller that calls again for the same frame).
    """
    n = len(bodies)
    for attempt in range(tries):
        placed: list[Pose] = []
        for k in range(n):
            pose = None
            for sub in range(TRIES_PER_ANIMAL):
                t = (first_try + attempt) * TRIES_PER_ANIMAL + sub
                if configs[k] == "independent":
                    cand = own(k, t)
                else:
                    j = partners[k]
                    cand = relative_pose(configs[k], bodies[j], placed[j], bodies[k], own_z[k], rng_for_try(k, t))
                if cand is None or not all(clash(bodies[j], placed[j], bodies[k], cand,
                                                 allowed_overlap(configs[k], partners[k], j)) <= 0
                                           for j in range(k)):
                    continue
                if bodies[k].inside(arena, cand):
                    pose = cand
                    break
                if configs[k] != "independent":  # a group by a wall: move everyone placed so far with it
                    moved = shift_inside(arena, bodies[:k + 1], placed + [cand])
                    if moved is not None:
                        placed, pose = moved[:-1], moved[-1]
                        break
            if pose is None:
                break
            placed.append(pose)
        if len(placed) == n:
            return placed
    names = ", ".join(b.name for b in bodies)
    what = ", ".join(f"{b.name}: {c}" for b, c in zip(bodies[1:], configs[1:]))
    raise SimgenError(
        f"could not place {names} without interpenetration inside the arena in {tries} tries ({what}); "
        "the arena may be too small for this many animals, or fixed placements overlap "
        "(give placement.x/y ranges, fewer animals, or raise social.tries)")


# the part of the partner (and of the animal itself) a configuration takes: one snout meets one
# snout, one animal follows a tail, one rides a back
SLOTS = {"nose_to_nose": ("snout", "snout"), "following": ("tail", "snout"), "on_top": ("back", None)}


def draw_configs(weights: dict[str, float], names: list[str], rng: Callable[[str], np.random.Generator]
                 ) -> tuple[list[str], list[int]]:
    """Each animal's configuration and partner (the first: independent, itself). The partner is
    drawn among the animals placed before it whose part that the configuration takes is free
    (two animals do not both meet one snout); if none is free, any of them."""
    keys = list(CONFIGS)
    p = np.array([float(weights.get(k, 0.0)) for k in keys])
    p = p / p.sum()
    configs, partners = ["independent"], [0]
    taken: set[tuple[int, str]] = set()
    for k, name in enumerate(names[1:], start=1):
        r = rng(f"social.{name}")
        config = keys[int(r.choice(len(keys), p=p))]
        u = r.uniform()
        slot = SLOTS.get(config)
        free = [j for j in range(k) if slot is None or (j, slot[0]) not in taken] or list(range(k))
        j = free[min(int(u * len(free)), len(free) - 1)]
        if slot is not None:
            taken.add((j, slot[0]))
            if slot[1] is not None:
                taken.add((k, slot[1]))
        configs.append(config)
        partners.append(j)
    return configs, partners
