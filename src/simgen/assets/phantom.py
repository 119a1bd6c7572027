"""Phantom micro-CT volume of an adult C57BL/6 mouse, built from code.

The body is a smooth union of signed-distance primitives (ellipsoids, round cones)
placed on anatomical landmarks (:data:`LANDMARKS`, millimeters, snout toward +x, back
up, feet on z=0, animal's left at +y): ~9.3 cm snout to tail base, ~8.5 cm tapering
tail, ~3.1 cm body width (fur included: top-down video of a C57BL/6 shows a plump
animal), round ~1.2 cm ears, eyes, four legs with paws and digits.
:func:`phantom_volume` samples it as CT intensities (air -1000 HU, soft tissue
+40 HU, bone +700 HU) with a one-voxel partial-volume ramp, so it goes through the same
CT -> mesh path (:mod:`simgen.assets.ct`) as a real scan. Each primitive names the bone
it belongs to and a surface material, which the builder uses for skin materials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.assets.ct import Volume
from simgen.choices import PhantomMaterial
from simgen.contract import N_TAIL_BONES

AIR_HU, TISSUE_HU, BONE_HU = -1000.0, 40.0, 700.0
SKIN_THRESHOLD_HU = 0.5 * (AIR_HU + TISSUE_HU)  # the partial-volume midpoint: the skin surface
BONE_THRESHOLD_HU = 0.5 * (TISSUE_HU + BONE_HU)
PHANTOM_VERSION = 8  # bump when the shape changes: it keys the asset cache


MM = 1e-3


def _v(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=float)


# ---------------------------------------------------------------- landmarks (mm)
def _tail_path(n_bones: int = N_TAIL_BONES, length: float = 85.0) -> np.ndarray:
    """Tail centerline: down from the base to the floor, then straight back along the
    midline (a symmetric rest pose; poses add the swings)."""
    key = np.array([(-44, 0, 14), (-51, 0, 11), (-58, 0, 7.5), (-66, 0, 4.2), (-75, 0, 2.2),
                    (-88, 0, 1.4), (-101, 0, 1.0), (-114, 0, 0.8), (-126, 0, 0.6), (-140, 0, 0.5)],
                   dtype=float)
    seg = np.linalg.norm(np.diff(key, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    t = np.linspace(0, length, n_bones + 1)
    pts = np.stack([np.interp(t, s, key[:, i]) for i in range(3)], axis=1)
    # equal chord lengths so each bone is length/n_bones (re-walk the resampled polyline)
    out = [pts[0]]
    step = length / n_bones
    for i in range(1, n_bones + 1):
        d = pts[i] - out[-1]
        out.append(out[-1] + d / np.linalg.norm(d) * step)
    out = np.array(out)
    radius = tail_radius(np.linspace(0, 1, n_bones + 1))
    out[:, 2] = np.maximum(out[:, 2], radius + 0.05)  # rests on the floor, never below it
    return out


def tail_radius(u: np.ndarray) -> np.ndarray:
    """Tail radius (mm) at fraction ``u`` of its length: 2.1 mm at the base, 0.5 at the tip."""
    return 2.1 - 1.6 * np.asarray(u, dtype=float) ** 0.8


LANDMARKS: dict[str, np.ndarray] = {
    # spine chain (pelvis -> withers), neck, head; each bone runs from one to the next
    "pelvis": _v(-40, 0, 15.5), "lumbar": _v(-22, 0, 17), "thorax": _v(-4, 0, 18), "withers": _v(12, 0, 18.5),
    "neck_base": _v(22, 0, 19), "skull_base": _v(30.5, 0, 19.5), "snout": _v(48, 0, 13.5),
    "jaw_hinge": _v(35, 0, 15.5), "chin": _v(44.5, 0, 12.0),
    # ears sit over the back of the cranium, ~16 mm behind the nose tip as seen from above
    "ear_base_l": _v(35, 4.6, 23.0), "ear_tip_l": _v(34, 11.5, 30.5),
    # foreleg: scapula top -> shoulder -> elbow -> wrist -> paw tip
    "scapula_l": _v(15, 5, 24), "shoulder_l": _v(11, 8.5, 12), "elbow_l": _v(6, 9.5, 6.5),
    "wrist_l": _v(10, 9, 2.0), "forepaw_tip_l": _v(15.5, 9.2, 0.8),
    # hindleg: hip -> knee -> ankle -> toe tip
    "hip_l": _v(-28, 8.5, 13), "knee_l": _v(-17, 11.5, 8), "ankle_l": _v(-30, 11, 3.5),
    "hindpaw_tip_l": _v(-16, 11.5, 0.8),
}
TAIL = _tail_path()  # (N_TAIL_BONES + 1, 3) mm: tail_0's head .. the last tail bone's tail


def mirror(p: np.ndarray) -> np.ndarray:
    return p * np.array([1.0, -1.0, 1.0])


def landmark(name: str) -> np.ndarray:
    """A landmark in mm; ``*_r`` names mirror their ``*_l`` twin."""
    if name.endswith("_r"):
        return mirror(LANDMARKS[name[:-2] + "_l"])
    return LANDMARKS[name]


# ---------------------------------------------------------------- SDF primitives
@dataclass
class Prim:
    """One primitive in mm. ``kind`` 'ellipsoid' (center, radii, axes) or 'cone'
    (round cone from a/ra to b/rb). ``blend``: smooth-union radius with what came before."""

    kind: str
    part: str
    material: PhantomMaterial = "fur"
    blend: float = 0.0
    center: np.ndarray | None = None
    radii: np.ndarray | None = None
    axes: np.ndarray | None = None  # columns: local axes in world
    a: np.ndarray | None = None
    b: np.ndarray | None = None
    ra: float = 0.0
    rb: float = 0.0

    def sdf(self, p: np.ndarray) -> np.ndarray:
        if self.kind == "ellipsoid":
            q = p - self.center
            if self.axes is not None:
                q = q @ self.axes
            k0 = np.linalg.norm(q / self.radii, axis=-1)
            k1 = np.linalg.norm(q / self.radii**2, axis=-1)
            return k0 * (k0 - 1.0) / np.maximum(k1, 1e-12)
        return _round_cone(p, self.a, self.b, self.ra, self.rb)

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "ellipsoid":
            ext = np.abs(self.axes if self.axes is not None else np.eye(3)) @ self.radii
            return self.center - ext, self.center + ext
        lo = np.minimum(self.a - self.ra, self.b - self.rb)
        hi = np.maximum(self.a + self.ra, self.b + self.rb)
        return lo, hi


def _round_cone(p, a, b, r1, r2):
    """Exact SDF of a round cone (Inigo Quilez), vectorized."""
    ba = b - a
    l2 = ba @ ba
    rr = r1 - r2
    a2 = l2 - rr * rr
    il2 = 1.0 / l2
    pa = p - a
    y = pa @ ba
    z = y - l2
    x2 = np.sum((pa * l2 - y[..., None] * ba) ** 2, axis=-1)
    y2 = y * y * l2
    z2 = z * z * l2
    k = np.sign(rr) * rr * rr * x2
    d_b = np.sqrt(x2 + z2) * il2 - r2
    d_a = np.sqrt(x2 + y2) * il2 - r1
    d_m = (np.sqrt(np.maximum(x2 * a2 * il2, 0)) + y * rr) * il2 - r1
    return np.where(np.sign(z) * a2 * z2 > k, d_b, np.where(np.sign(y) * a2 * y2 < k, d_a, d_m))


def smin(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth minimum: a union with a fillet of radius ~k."""
    if k <= 0:
        return np.minimum(a, b)
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    return np.minimum(a, b) - h * h * k * 0.25


def _ell(part, c, r, mat="fur", blend=0.0, axes=None) -> Prim:
    return Prim("ellipsoid", part, mat, blend, center=np.asarray(c, float), radii=np.asarray(r, float),
                axes=None if axes is None else np.asarray(axes, float))


def _cone(part, a, ra, b, rb, mat="fur", blend=0.0) -> Prim:
    return Prim("cone", part, mat, blend, a=np.asarray(a, float), b=np.asarray(b, float), ra=ra, rb=rb)


def _frame(d: np.ndarray, n_hint: np.ndarray) -> np.ndarray:
    """Orthonormal axes (columns): u along d, w along n_hint made orthogonal, v = w x u."""
    u = d / np.linalg.norm(d)
    w = n_hint - u * (n_hint @ u)
    w /= np.linalg.norm(w)
    return np.stack([u, np.cross(w, u), w], axis=1)


def _side_prims(side: str) -> list[Prim]:
    """Ear, foreleg and hindleg of one side (``l`` or ``r``)."""
    s = 1.0 if side == "l" else -1.0
    L = lambda n: landmark(f"{n}_{side}")  # noqa: E731
    prims: list[Prim] = []
    # ear: a round, thin, slightly forward-facing pinna on a short stalk
    base, tip = L("ear_base"), L("ear_tip")
    d = tip - base
    length = np.linalg.norm(d)
    # the opening faces forward and out; the hint must be ~perpendicular to the ear's axis
    # (its component along the axis is projected away)
    axes = _frame(d, np.array([0.8, 0.45 * s, -0.4]))
    prims.append(_cone(f"ear_{side}", base, 1.9, base + 0.35 * d, 1.0, "fur", blend=1.2))
    prims.append(_ell(f"ear_{side}", base + 0.56 * d, [0.47 * length, 0.44 * length, 0.5], "skin", 0.8, axes))
    # foreleg
    sh, el, wr, tip = L("shoulder"), L("elbow"), L("wrist"), L("forepaw_tip")
    prims += [
        _cone(f"humerus_{side}", sh, 3.6, el, 2.3, blend=2.5),
        _cone(f"forearm_{side}", el, 2.1, wr, 1.15, blend=1.2),
        _ell(f"paw_{side}", wr + 0.45 * (tip - wr) - _v(0, 0, 0.7), [2.4, 1.5, 0.85], "skin", 0.8,
             _frame(tip - wr, _v(0, 0, 1))),
    ]
    for o in (-1.1, -0.37, 0.37, 1.1):
        a = wr + 0.62 * (tip - wr) + _v(0, s * o, 0) - _v(0, 0, 0.6)
        b = tip + _v(0, s * 1.55 * o, 0) + _v(0, 0, -0.25)
        prims.append(_cone(f"paw_{side}", a, 0.48, b, 0.4, "skin", 0.35))
    # hindleg: haunch, thigh, shank, long plantigrade foot with five toes
    hip, kn, an, tip = L("hip"), L("knee"), L("ankle"), L("hindpaw_tip")
    prims += [
        _ell(f"femur_{side}", hip + _v(3, 0.5 * s, -1.5), [9.5, 4.5, 7.0], blend=3.0),
        _cone(f"femur_{side}", hip, 4.2, kn, 3.0, blend=2.5),
        _cone(f"tibia_{side}", kn, 2.6, an, 1.3, blend=1.5),
        _cone(f"foot_{side}", _v(an[0] - 1.0, an[1], 1.3), 1.3, tip + _v(-3.5, 0, 0.2), 1.05, "skin", 1.0),
    ]
    for o in (-1.6, -0.8, 0.0, 0.8, 1.6):
        a = tip + _v(-4.0, s * o * 0.8, 0.2)
        b = tip + _v(-0.1 * abs(o) ** 2, s * 1.5 * o, -0.25)
        prims.append(_cone(f"foot_{side}", a, 0.5, b, 0.4, "skin", 0.3))
    return prims


def body_prims() -> list[Prim]:
    """Every soft-tissue primitive of the phantom, eyes last (they sit on the head surface)."""
    P = landmark
    prims = [
        _ell("spine_1", [-12, 0, 16.3], [21, 15.5, 11.8]),                      # belly: widest, 3.1 cm
        _ell("spine_2", [8, 0, 16.3], [15, 12.0, 9.3], blend=5.0),              # chest
        _ell("spine_0", [-30, 0, 15.5], [14.5, 14.0, 10.8], blend=5.0),            # rump
        _cone("neck", _v(19, 0, 18.0), 8.2, _v(30, 0, 19.5), 6.6, blend=4.0),
        _ell("head", [34, 0, 19.0], [9.5, 6.4, 6.6], blend=3.0),                # cranium and cheeks
        _cone("head", _v(34, 0, 18.5), 6.0, P("snout") - _v(2.2, 0, -0.3), 1.9, blend=2.0),  # tapering snout
        _cone("jaw", P("jaw_hinge"), 4.0, P("chin"), 1.4, blend=1.5),
        Prim("ellipsoid", "head", "skin", 0.6, center=P("snout") - _v(1.4, 0, -0.3), radii=_v(1.5, 1.45, 1.3)),
    ]
    for side in ("l", "r"):
        prims += _side_prims(side)
    r = tail_radius(np.linspace(0, 1, len(TAIL)))
    for i in range(len(TAIL) - 1):
        prims.append(_cone(f"tail_{i}", TAIL[i], r[i], TAIL[i + 1], r[i + 1], "skin", blend=4.0 if i == 0 else 0.3))
    prims += eye_prims(prims)
    return prims


EYE_RADIUS = 1.55


def eye_surface_points(prims: list[Prim]) -> dict[str, np.ndarray]:
    """Where the eyes sit: on the head surface along a ray from inside the skull (mm)."""
    out = {}
    for side, s in (("l", 1.0), ("r", -1.0)):
        origin = _v(39.5, 0, 18.0)
        d = _v(0.25, 0.78 * s, 0.55)
        out[side] = surface_along(prims, origin, d / np.linalg.norm(d))
    return out


def eye_prims(prims: list[Prim]) -> list[Prim]:
    pts = eye_surface_points(prims)
    res = []
    for side in ("l", "r"):
        c = pts[side] - 0.55 * (pts[side] - _v(39.5, 0, 18.0)) / np.linalg.norm(pts[side] - _v(39.5, 0, 18.0))
        res.append(Prim("ellipsoid", "head", "eye", 0.3, center=c, radii=_v(EYE_RADIUS, EYE_RADIUS, EYE_RADIUS)))
    return res


def body_sdf(prims: list[Prim], p: np.ndarray) -> np.ndarray:
    """Signed distance (mm, approximate) of points ``p`` (..., 3) to the body surface."""
    p = np.asarray(p, dtype=float)
    d = np.full(p.shape[:-1], 1e3)
    for pr in prims:
        d = smin(d, pr.sdf(p), pr.blend)
    return d


def surface_along(prims: list[Prim], origin: np.ndarray, direction: np.ndarray, far: float = 30.0) -> np.ndarray:
    """First surface crossing from ``origin`` (inside) along ``direction`` (mm), by bisection."""
    t = np.linspace(0, far, 601)
    pts = origin + t[:, None] * direction
    d = body_sdf(prims, pts)
    out = np.nonzero(d > 0)[0]
    if len(out) == 0 or out[0] == 0:
        raise ValueError("ray does not leave the body")
    lo, hi = t[out[0] - 1], t[out[0]]
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if body_sdf(prims, (origin + mid * direction)[None])[0] > 0:
            hi = mid
        else:
            lo = mid
    return origin + 0.5 * (lo + hi) * direction


def dorsal_point(prims: list[Prim], x: float) -> np.ndarray:
    """The top of the back at ``x`` on the midline (mm)."""
    return surface_along(prims, _v(x, 0, 12.0), _v(0, 0, 1.0))


def bone_prims() -> list[Prim]:
    """Skeletal primitives (bone intensity inside the soft tissue): skull, column, limbs, tail."""
    P = landmark
    chain = [P("pelvis"), P("lumbar"), P("thorax"), P("withers"), P("neck_base"), P("skull_base")]
    prims = [_ell("head", [36, 0, 18.0], [10.5, 4.6, 4.6], "fur"), _cone("jaw", P("jaw_hinge"), 1.4, P("chin"), 0.6)]
    prims += [_cone("spine", a, 1.4, b, 1.4) for a, b in zip(chain[:-1], chain[1:])]
    for side in ("l", "r"):
        L = lambda n: landmark(f"{n}_{side}")  # noqa: E731
        prims += [_cone("scapula", L("scapula"), 0.9, L("shoulder"), 0.7),
                  _cone("humerus", L("shoulder"), 0.8, L("elbow"), 0.6),
                  _cone("forearm", L("elbow"), 0.55, L("wrist"), 0.45),
                  _cone("femur", L("hip"), 0.9, L("knee"), 0.75),
                  _cone("tibia", L("knee"), 0.65, L("ankle"), 0.5),
                  _cone("foot", L("ankle"), 0.45, L("hindpaw_tip") - _v(1.5, 0, -0.3), 0.3)]
    r = tail_radius(np.linspace(0, 1, len(TAIL))) * 0.45
    prims += [_cone("tail", TAIL[i], r[i], TAIL[i + 1], r[i + 1]) for i in range(len(TAIL) - 1)]
    return prims


# ---------------------------------------------------------------- the volume
def _field_on_grid(prims: list[Prim], origin: np.ndarray, shape: tuple[int, int, int], h: float) -> np.ndarray:
    """SDF (mm) sampled at voxel centers; each primitive evaluated only near its bounds."""
    field = np.full(shape, 1e3, dtype=np.float32)
    axes = [origin[i] + h * np.arange(shape[i]) for i in range(3)]
    for pr in prims:
        lo, hi = pr.bbox()
        margin = pr.blend + 3 * h
        sl = []
        for i in range(3):
            i0 = max(int(np.floor((lo[i] - margin - origin[i]) / h)), 0)
            i1 = min(int(np.ceil((hi[i] + margin - origin[i]) / h)) + 1, shape[i])
            sl.append(slice(i0, i1))
        if any(s.start >= s.stop for s in sl):
            continue
        g = np.stack(np.meshgrid(axes[0][sl[0]], axes[1][sl[1]], axes[2][sl[2]], indexing="ij"), axis=-1)
        field[tuple(sl)] = smin(field[tuple(sl)], pr.sdf(g).astype(np.float32), pr.blend)
    return field


def phantom_volume(voxel_mm: float = 0.3) -> Volume:
    """The phantom as a CT volume in HU; affine in meters (animal frame, feet on z=0)."""
    prims = body_prims()
    boxes = np.array([pr.bbox() for pr in prims])
    lo = boxes[:, 0].min(axis=0) - 3 * voxel_mm
    hi = boxes[:, 1].max(axis=0) + 3 * voxel_mm
    shape = tuple(int(np.ceil((hi[i] - lo[i]) / voxel_mm)) + 1 for i in range(3))
    skin = _field_on_grid(prims, lo, shape, voxel_mm)
    bone = _field_on_grid(bone_prims(), lo, shape, voxel_mm)
    # partial volume: the inside fraction of a voxel cut by a plane at distance d is ~0.5 - d/h
    f_skin = np.clip(0.5 - skin / voxel_mm, 0.0, 1.0)
    f_bone = np.clip(0.5 - bone / voxel_mm, 0.0, 1.0) * f_skin
    hu = AIR_HU + (TISSUE_HU - AIR_HU) * f_skin + (BONE_HU - TISSUE_HU) * f_bone
    affine = np.eye(4)
    affine[[0, 1, 2], [0, 1, 2]] = voxel_mm * MM
    affine[:3, 3] = lo * MM
    return Volume(hu.astype(np.float32), affine, source=f"phantom mouse v{PHANTOM_VERSION}")


def surface_labels(prims: list[Prim], points_m: np.ndarray) -> tuple[list[str], list[str]]:
    """For surface points (meters): the nearest primitive's part (bone) and material."""
    p = np.asarray(points_m, dtype=float) / MM
    d = np.stack([pr.sdf(p) for pr in prims], axis=1)
    idx = np.argmin(d, axis=1)
    return [prims[i].part for i in idx], [prims[i].material for i in idx]
