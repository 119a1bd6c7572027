"""Pose presets, pose sampling and smooth pose sequences (pure numpy).

A pose is ``{"preset": name, "angles": {bone: [rx, ry, rz]}}`` in degrees (pose-bone
Euler XYZ relative to rest; see :mod:`simgen.assets.skeleton`). Presets are functions
of a ``variant`` in [0, 1): the gait phase for ``walk``/``trot``, the side for
``turn``/``groom``/``curl``, head down or up for ``sniff``. Angles follow the default
mouse's bone axes (local X = animal's left): ``rx`` > 0 tips a forward bone down,
swings a leg bone's tip back, lifts the tail's tip; ``rz`` > 0 turns a forward bone
to the animal's right. Bones a preset does not mention stay at rest.

To add a preset: write ``_name(v) -> dict`` below, add it to :data:`PRESETS` (and to
``simgen.choices.PosePreset``), and the limit tests cover it.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from simgen.assets.skeleton import Skeleton, SkeletonError, mirror_angles
from simgen.choices import PosePreset, names
from simgen.contract import N_TAIL_BONES

PRESET_NAMES: tuple[str, ...] = names(PosePreset)
SIDES = ("l", "r")
N_TAIL = N_TAIL_BONES
RANDOM_SCALE = 0.5  # "random" mode draws within this fraction of each limit around rest


def _both(angles: dict[str, list[float]], bone: str, left: Sequence[float]) -> None:
    """Set ``bone_l`` to ``left`` and ``bone_r`` to its mirror image."""
    angles[f"{bone}_l"] = [float(a) for a in left]
    angles[f"{bone}_r"] = mirror_angles(left)


def _add(angles: dict[str, list[float]], bone: str, delta: Sequence[float]) -> None:
    cur = angles.get(bone, [0.0, 0.0, 0.0])
    angles[bone] = [float(c + d) for c, d in zip(cur, delta)]


def tail_wave(angles: dict[str, list[float]], amp_deg: float, phase: float, wavelength: float = 8.0,
              lift_deg: float = 0.0) -> None:
    """A travelling side-to-side wave down the tail (``rz``), growing toward the tip."""
    for i in range(N_TAIL):
        u = (i + 1) / N_TAIL
        _add(angles, f"tail_{i}", [lift_deg * (1 - u), 0.0,
                                   amp_deg * (0.4 + 0.6 * u) * np.sin(2 * np.pi * (phase - i / wavelength))])


# ---------------------------------------------------------------- gaits
def _gait_leg(phi: float, duty: float) -> tuple[float, float]:
    """(swing position in [-1, 1] with +1 = foot forward, lift in [0, 1]) at leg phase ``phi``."""
    phi = phi % 1.0
    if phi < duty:  # stance: the foot slides back under the body
        return 1.0 - 2.0 * phi / duty, 0.0
    u = (phi - duty) / (1.0 - duty)
    s = u * u * (3 - 2 * u)
    return -1.0 + 2.0 * s, float(np.sin(np.pi * u))


def _gait(phase: float, offsets: dict[str, float], duty: float, fore: tuple[float, float, float],
          hind: tuple[float, float, float, float], body: float) -> dict[str, list[float]]:
    """fore = (protraction, elbow flex, paw flex); hind = (protraction, knee flex, foot flex, ...)."""
    a: dict[str, list[float]] = {}
    for leg, off in offsets.items():
        side = leg[-1]
        pos, lift = _gait_leg(phase + off, duty)
        sgn = 1.0 if side == "l" else -1.0
        if leg.startswith("f"):
            a[f"humerus_{side}"] = [-fore[0] * pos - 0.3 * fore[1] * lift, 0.0, 0.0]
            a[f"forearm_{side}"] = [-fore[1] * lift, 0.0, 0.0]
            a[f"paw_{side}"] = [fore[2] * lift - 8 * pos, 0.0, 0.0]
        else:
            a[f"femur_{side}"] = [-hind[0] * pos - 0.4 * hind[1] * lift, 0.0, sgn * 0.0]
            a[f"tibia_{side}"] = [hind[1] * lift + 6 * pos, 0.0, 0.0]
            a[f"foot_{side}"] = [hind[2] * lift - 10 * pos, 0.0, 0.0]
    w = 2 * np.pi * phase
    # lateral undulation of the trunk, head steadied against it
    for i, b in enumerate(("spine_1", "spine_2", "spine_3")):
        a[b] = [body * 0.3 * np.sin(2 * w), 0.0, body * np.sin(w + i * 0.6)]
    a["neck"] = [2.0, 0.0, -body * 1.2 * np.sin(w + 2.0)]
    a["head"] = [4.0 + body * 0.5 * np.sin(2 * w), 0.0, 0.0]
    tail_wave(a, 2.5 * body, phase, lift_deg=1.0)
    return a


WALK_OFFSETS = {"hind_l": 0.0, "fore_l": 0.25, "hind_r": 0.5, "fore_r": 0.75}
TROT_OFFSETS = {"fore_l": 0.0, "hind_r": 0.0, "fore_r": 0.5, "hind_l": 0.5}


def _walk(v: float) -> dict[str, list[float]]:
    return _gait(v, WALK_OFFSETS, duty=0.65, fore=(20, 50, 35), hind=(22, 55, 35, 0), body=4.0)


def _trot(v: float) -> dict[str, list[float]]:
    return _gait(v, TROT_OFFSETS, duty=0.5, fore=(28, 65, 45), hind=(30, 70, 45, 0), body=3.0)


# ---------------------------------------------------------------- postures
def _rest(v: float) -> dict[str, list[float]]:
    return {}


def _turn(v: float) -> dict[str, list[float]]:
    s = -1.0 if v < 0.5 else 1.0  # first half turns left (rz < 0), second half right
    mag = 0.6 + 0.8 * ((2 * v) % 1.0)  # how sharp, 0.6..1.4 of the base bend
    a: dict[str, list[float]] = {
        "spine_0": [0, 0, s * 6 * mag], "spine_1": [0, 0, s * 12 * mag], "spine_2": [0, 0, s * 14 * mag],
        "spine_3": [0, 0, s * 12 * mag], "neck": [0, 0, s * 22 * mag], "head": [0, 0, s * 14 * mag],
    }
    for i in range(N_TAIL):  # the tail follows the C of the body
        a[f"tail_{i}"] = [3.0 if i < 3 else 0.0, 0, s * (6 if i < 6 else 3) * mag]
    # legs step into the turn: the inner foreleg pulls in, the outer reaches out
    inner, outer = ("l", "r") if s < 0 else ("r", "l")
    a[f"humerus_{outer}"] = [-15, 0, 0]
    a[f"humerus_{inner}"] = [10, 0, 0]
    return a


def _planted_hind_legs(a: dict[str, list[float]], up: float) -> None:
    """Hind feet flat on the floor under a pelvis pitched up by ``up`` degrees: the chain's
    pitches sum to zero at the foot."""
    _both(a, "femur", [up * 0.55, 0, 4])
    _both(a, "tibia", [up * 0.25, 0, 0])
    _both(a, "foot", [up * 0.2 + 8, 0, 0])


def _rear(v: float) -> dict[str, list[float]]:
    """Upright on the hind legs, forepaws lifted; ``v`` sets how upright."""
    up = 50 + 12 * v
    a = {
        "spine_0": [-up, 0, 0], "spine_1": [-8, 0, 0], "spine_2": [-5, 0, 0], "spine_3": [5, 0, 0],
        "neck": [18, 0, 0], "head": [20, 0, 0],
        # the tail bends back to the floor at its base (the pelvis tipped it down by `up`)
        "tail_0": [40, 0, 0], "tail_1": [up - 40, 0, 0], "tail_2": [5, 0, 0], "tail_3": [-2.5, 0, 0],
        "ear_l": [-10, 0, 0], "ear_r": [-10, 0, 0],
    }
    _planted_hind_legs(a, up)
    _both(a, "humerus", [-35, 0, 5])
    _both(a, "forearm", [-70, 0, 0])
    _both(a, "paw", [40, 0, 0])
    return a


def _rear_wall(v: float) -> dict[str, list[float]]:
    """Reared up against a wall: upright on the hind legs (feet planted), forearms reaching
    forward and up so the forepaws are the body's most forward points (on the wall, at
    about snout height), head tipped up along the wall. ``v`` sets how upright (52-65 deg
    of pelvis pitch) and, faster, the head tilt (-28..-12 deg at neck and head). Placement (``simgen.sampling.placement``)
    faces it to a wall with the forepaws at the wall."""
    up = 52 + 13 * v
    nod = -28 + 16 * ((3 * v) % 1.0)  # head and neck: -28 (up along the wall) .. -12
    a = {
        "spine_0": [-up, 0, 0], "spine_1": [-5, 0, 0], "spine_2": [-3, 0, 0], "spine_3": [3, 0, 0],
        "neck": [nod, 0, 0], "head": [nod, 0, 0],
        "tail_0": [40, 0, 0], "tail_1": [up - 40, 0, 0], "tail_2": [5, 0, 0], "tail_3": [-2.5, 0, 0],
        "ear_l": [-10, 0, 0], "ear_r": [-10, 0, 0],
    }
    _planted_hind_legs(a, up)
    _both(a, "scapula", [-20, 0, 0])
    _both(a, "humerus", [-78, 0, 5])
    _both(a, "forearm", [20, 0, 0])
    _both(a, "paw", [30, 0, 0])
    return a


def _groom(v: float) -> dict[str, list[float]]:
    """Sitting up on the haunches, head bowed, forepaws at the face (``v`` shifts the paws)."""
    d = (v - 0.5) * 10
    a = {
        "spine_0": [-58, 0, 0], "spine_1": [0, 0, 0], "spine_2": [2, 0, 0], "spine_3": [28, 0, 0],
        "neck": [40, 0, 0], "head": [38 + d, 0, 0], "ear_l": [-15, 0, 0], "ear_r": [-15, 0, 0],
        "tail_0": [35, 0, 0], "tail_1": [8, 0, 0],
    }
    _both(a, "femur", [10, 0, 6])
    _both(a, "tibia", [20, 0, 0])
    _both(a, "foot", [10, 0, 0])
    # starting guesses; paws_to_face fits scapula, humerus and forearm to the face
    _both(a, "humerus", [-5 + d, 0, -10])
    _both(a, "forearm", [-10, 0, 0])
    _both(a, "paw", [40, 0, 0])
    tail_wave(a, 8.0, v)
    return a


def _curl(v: float) -> dict[str, list[float]]:
    """Resting curled up on the side of a ring: back rounded, head tucked toward the
    tail base, tail wrapped around (``v`` < 0.5 curls to the left)."""
    s = -1.0 if v < 0.5 else 1.0
    a = {
        "spine_0": [4, 0, s * 18], "spine_1": [6, 0, s * 26], "spine_2": [6, 0, s * 26],
        "spine_3": [5, 0, s * 24], "neck": [10, 0, s * 35], "head": [18, 0, s * 30],
        "ear_l": [20, 0, 0], "ear_r": [20, 0, 0],
    }
    # bend only the part lying on the floor: bending the sloped base would coil it upward
    for i in range(3, N_TAIL):
        a[f"tail_{i}"] = [0.0, 0.0, s * 26]
    # legs tucked a little; folding them further would sink the belly through the floor
    _both(a, "humerus", [-8, 0, 0])
    _both(a, "forearm", [-15, 0, 0])
    _both(a, "femur", [-8, 0, 0])
    _both(a, "tibia", [10, 0, 0])
    return a


def _sniff(v: float) -> dict[str, list[float]]:
    """Head down to the floor (``v`` < 0.5) or stretched up into the air."""
    if v < 0.5:
        k = 0.7 + 0.6 * v / 0.5
        a = {"spine_2": [5 * k, 0, 0], "spine_3": [8 * k, 0, 0], "neck": [14 * k, 0, 0], "head": [22 * k, 0, 0],
             "ear_l": [-15, 0, 0], "ear_r": [-15, 0, 0]}
        _both(a, "humerus", [-10, 0, 0])
    else:
        k = 0.7 + 0.6 * (v - 0.5) / 0.5
        a = {"spine_0": [-8 * k, 0, 0], "spine_1": [-6 * k, 0, 0], "spine_2": [-8 * k, 0, 0],
             "spine_3": [-12 * k, 0, 0], "neck": [-25 * k, 0, 0], "head": [-25 * k, 0, 0],
             "ear_l": [-20, 0, 0], "ear_r": [-20, 0, 0], "tail_0": [8 * k, 0, 0]}
        _both(a, "humerus", [-12 * k, 0, 0])
        _both(a, "femur", [8 * k, 0, 0])
        _both(a, "foot", [6 * k, 0, 0])
    a["jaw"] = [4.0, 0.0, 0.0]
    tail_wave(a, 5.0, v)
    return a


PRESETS: dict[PosePreset, Callable[[float], dict[str, list[float]]]] = {
    "rest": _rest, "walk": _walk, "trot": _trot, "turn": _turn, "rear": _rear,
    "groom": _groom, "curl": _curl, "sniff": _sniff, "rear_wall": _rear_wall,
}


# ---------------------------------------------------------------- contact fitting
def _solve(skeleton: Skeleton, angles: dict[str, list[float]], unknowns: list[tuple[str, int]],
           residual: Callable[[np.ndarray], np.ndarray], iters: int = 12) -> dict[str, list[float]]:
    """Adjust the ``unknowns`` (bone, axis) angles by damped Gauss-Newton on forward
    kinematics so ``residual(keypoints)`` -> 0, staying within limits."""
    arr = skeleton.angle_array(angles)
    lim = skeleton.limits()
    idx = [(skeleton.bone_names.index(b), ax) for b, ax in unknowns]

    def f(x: np.ndarray) -> np.ndarray:
        a = arr.copy()
        for (i, ax), v in zip(idx, x):
            a[i, ax] = v
        return residual(skeleton.keypoints_posed(a))

    x = np.array([arr[i, ax] for i, ax in idx])
    lo = np.array([lim[i, ax, 0] for i, ax in idx])
    hi = np.array([lim[i, ax, 1] for i, ax in idx])
    for _ in range(iters):
        r = f(x)
        jac = np.stack([(f(x + e) - r) / 0.5 for e in np.eye(len(x)) * 0.5], axis=1)
        step = np.linalg.lstsq(jac.T @ jac + 1e-6 * np.eye(len(x)), -jac.T @ r, rcond=None)[0]
        x = np.clip(x + np.clip(step, -20, 20), lo, hi)
    for (i, ax), v in zip(idx, x):
        arr[i, ax] = v
    return skeleton.angle_dict(arr)


def _kp(skeleton: Skeleton, name: str) -> int:
    return skeleton.keypoint_names.index(name)


def plant_hind_feet(skeleton: Skeleton, angles: dict[str, list[float]]) -> dict[str, list[float]]:
    """Hip and knee angles that put each ankle back at its rest height, just behind the hip,
    then the foot flat (its chain's pitches cancel)."""
    rest = skeleton.keypoints_rest()
    for s in SIDES:
        side = "left" if s == "l" else "right"
        hip, ank = _kp(skeleton, f"{side}_hip"), _kp(skeleton, f"{side}_ankle")
        behind = rest[ank, 0] - rest[hip, 0]

        def res(k, hip=hip, ank=ank, behind=behind):
            return np.array([(k[ank, 2] - rest[ank, 2]) * 1e3, (k[ank, 0] - k[hip, 0] - behind) * 1e3])

        angles = _solve(skeleton, angles, [(f"femur_{s}", 0), (f"tibia_{s}", 0)], res)
        pitch = sum(angles.get(b, [0, 0, 0])[0] for b in ("spine_0", f"femur_{s}", f"tibia_{s}"))
        _add(angles, f"foot_{s}", [-pitch - angles.get(f"foot_{s}", [0, 0, 0])[0], 0, 0])
    return skeleton.clip(angles)


def paws_to_face(skeleton: Skeleton, angles: dict[str, list[float]], spread_m: float = 0.003) -> dict[str, list[float]]:
    """Shoulder and elbow angles that bring each forepaw to the face, below the eye
    (as close as the arm reaches)."""
    for s in SIDES:
        side, sgn = ("left", 1.0) if s == "l" else ("right", -1.0)
        paw, snout, eye = _kp(skeleton, f"{side}_forepaw"), _kp(skeleton, "snout"), _kp(skeleton, f"{side}_eye")

        def res(k, paw=paw, snout=snout, eye=eye, sgn=sgn):
            target = k[eye] + np.array([0.0, sgn * spread_m, -0.003])
            return (k[paw] - target)[[0, 2]] * 1e3

        angles = _solve(skeleton, angles, [(f"scapula_{s}", 0), (f"humerus_{s}", 0), (f"forearm_{s}", 0)], res)
    return angles


_POST: dict[str, list[Callable[[Skeleton, dict], dict]]] = {
    "rear": [plant_hind_feet], "rear_wall": [plant_hind_feet], "groom": [plant_hind_feet, paws_to_face],
}


def preset_angles(skeleton: Skeleton, name: str, variant: float = 0.0) -> dict[str, list[float]]:
    """A preset's angles (clipped to the skeleton's limits; bones it lacks are skipped).
    Rearing and grooming are fitted to the skeleton: hind feet planted, paws at the face."""
    if name not in PRESETS:
        raise SkeletonError(f"unknown pose preset {name!r}; choices: {', '.join(PRESET_NAMES)}")
    raw = PRESETS[name](float(variant) % 1.0)
    have = set(skeleton.bone_names)
    angles = skeleton.clip({b: v for b, v in raw.items() if b in have})
    post = _POST.get(name, [])
    if post and {"femur_l", "femur_r", "humerus_l", "humerus_r"} <= have:
        for step in post:
            angles = step(skeleton, angles)
    return skeleton.clip(angles)


# ---------------------------------------------------------------- sampling
def sample_pose(skeleton: Skeleton, mode: str = "presets", preset_weights: Mapping[str, float] | None = None,
                jitter_deg: float = 5.0, rng: np.random.Generator | None = None) -> dict[str, Any]:
    """One pose. ``presets``: a preset by weight at a random variant, plus Gaussian jitter
    (std ``jitter_deg`` on every unlocked axis) and a random tail swing, clipped to limits.
    ``random``: uniform within :data:`RANDOM_SCALE` of each limit around rest. ``rest``: rest."""
    if rng is None:
        raise SkeletonError("sample_pose needs an explicit np.random.Generator")
    lim = skeleton.limits()
    free = lim[..., 1] > lim[..., 0]
    if mode == "rest":
        return {"preset": "rest", "angles": {}}
    if mode == "random":
        # shrink each range toward rest (0, or the nearest bound when 0 is outside it)
        centre = np.clip(0.0, lim[..., 0], lim[..., 1])
        u = rng.uniform(lim[..., 0], lim[..., 1])
        arr = np.where(free, centre + RANDOM_SCALE * (u - centre), 0.0)
        return {"preset": "random", "angles": skeleton.angle_dict(arr)}
    if mode != "presets":
        raise SkeletonError(f"unknown pose mode {mode!r}; choices: presets, random, rest")
    weights = dict(preset_weights) if preset_weights else {n: 1.0 for n in PRESET_NAMES}
    unknown = sorted(set(weights) - set(PRESET_NAMES))
    if unknown:
        raise SkeletonError(f"unknown pose preset(s) {unknown}; choices: {', '.join(PRESET_NAMES)}")
    names = sorted(weights)
    p = np.array([float(weights[n]) for n in names])
    if np.any(p < 0) or p.sum() <= 0:
        raise SkeletonError(f"preset weights must be >= 0 with a positive sum, got {weights}")
    name = names[int(rng.choice(len(names), p=p / p.sum()))]
    variant = float(rng.uniform())
    base = preset_angles(skeleton, name, variant)
    tail: dict[str, list[float]] = {}
    tail_wave(tail, float(rng.uniform(0, 8)), float(rng.uniform()), wavelength=float(rng.uniform(5, 12)))
    for b, d in tail.items():
        _add(base, b, d)
    arr = skeleton.angle_array({b: v for b, v in base.items() if b in set(skeleton.bone_names)})
    if jitter_deg > 0:
        arr = arr + np.where(free, rng.normal(0.0, jitter_deg, size=arr.shape), 0.0)
    arr = np.clip(arr, lim[..., 0], lim[..., 1])
    return {"preset": name, "angles": skeleton.angle_dict(arr)}


# ---------------------------------------------------------------- sequences
def pose_sequence(skeleton: Skeleton, keyframes: Sequence[Mapping[str, Any]], frames_per_key: int) -> list[dict[str, Any]]:
    """Smooth clip through ``keyframes`` (poses): Catmull-Rom in angle space, C1 continuous,
    clipped to limits; ``frames_per_key`` frames from each key to the next (last key included)."""
    if len(keyframes) < 2 or frames_per_key < 1:
        raise SkeletonError("a pose sequence needs at least 2 keyframes and frames_per_key >= 1")
    keys = np.stack([skeleton.angle_array(k.get("angles", {})) for k in keyframes])
    pad = np.concatenate([keys[:1], keys, keys[-1:]])
    lim = skeleton.limits()
    out = []
    for i in range(len(keys) - 1):
        p0, p1, p2, p3 = pad[i], pad[i + 1], pad[i + 2], pad[i + 3]
        for f in range(frames_per_key):
            t = f / frames_per_key
            arr = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                         + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
            out.append({"preset": keyframes[i].get("preset", "sequence"),
                        "angles": skeleton.angle_dict(np.clip(arr, lim[..., 0], lim[..., 1]))})
    out.append({"preset": keyframes[-1].get("preset", "sequence"),
                "angles": skeleton.angle_dict(np.clip(keys[-1], lim[..., 0], lim[..., 1]))})
    return out


def gait_sequence(skeleton: Skeleton, gait: str = "walk", n_frames: int = 30, cycles: float = 1.0,
                  phase0: float = 0.0) -> list[dict[str, Any]]:
    """``n_frames`` poses of a ``walk`` or ``trot`` cycle (periodic: frame n_frames would equal frame 0)."""
    if gait not in ("walk", "trot"):
        raise SkeletonError(f"gait must be walk or trot, got {gait!r}")
    return [{"preset": gait, "angles": preset_angles(skeleton, gait, phase0 + cycles * i / n_frames)}
            for i in range(n_frames)]


def ground_offset(skeleton: Skeleton, angles: Mapping[str, Sequence[float]] | None) -> float:
    """How far to move the posed animal up (+) or down (-) so the lowest of its paws and
    ankles (what it stands on) is as high above z=0 as at rest (meters). A renderer adds
    this to the placement height."""
    names = skeleton.keypoint_names
    feet = [i for i, n in enumerate(names) if n.endswith(("paw", "ankle"))]
    if not feet:
        return 0.0
    rest = skeleton.keypoints_rest()[feet, 2].min()
    return float(rest - skeleton.keypoints_posed(angles)[feet, 2].min())


# Tail radius at its base and tip (m): the bundled mouse's (``phantom.tail_radius``); a
# tail joint must clear the floor by the radius there, times ``animal.shape.tail``.
TAIL_RADIUS_BASE, TAIL_RADIUS_TIP = 0.0021, 0.0005
_TAIL_STEPS = 14  # bisection steps per bone: the joint's height to well under 0.01 mm


def lift_tail_off_floor(skeleton: Skeleton, angles: Mapping[str, Sequence[float]], floor_z: float,
                        thickness: float = 1.0, margin: float = 0.0002) -> dict[str, list[float]]:
    """The pose with each tail bone pitched up (about its own x axis, within its joint
    limits) just enough that the joint at its end clears ``floor_z`` (armature space, m)
    by the tail's radius there; bones already clear are not touched. Base to tip, so a
    lifted bone carries the rest of the tail with it. A joint that the limits cannot lift
    stays at the limit (best effort). Each lifted bone's child turns back by the same angle
    (within its limits), so the rest of the tail lies along the floor instead of rising."""
    tail = [i for i, n in enumerate(skeleton.bone_names) if n.startswith("tail")]
    if not tail:
        return angles
    arr = skeleton.angle_array(angles)
    lim = skeleton.limits()
    length = np.array([np.linalg.norm(b.tail - b.head) for b in skeleton.bones])

    def end_z(a: np.ndarray, i: int) -> float:
        pm = skeleton.pose_matrices(a)
        return float(pm[i, 2, 3] + pm[i, 2, 1] * length[i])

    changed = False
    for k, i in enumerate(tail):
        u = (k + 1) / len(tail)
        need = floor_z + thickness * (TAIL_RADIUS_BASE + u * (TAIL_RADIUS_TIP - TAIL_RADIUS_BASE)) + margin
        if end_z(arr, i) >= need:
            continue
        x0 = arr[i, 0]
        # each way to a joint limit: the smallest turn that clears, else the limit. Only a
        # turn that lifts the joint and does not swing it forward (armature +x, under the
        # body) is taken; with none, the bone stays and the next one lifts the rest.
        pm = skeleton.pose_matrices(arr)
        z_now, x_now = end_z(arr, i), float(pm[i, 0, 3] + pm[i, 0, 1] * length[i])
        options = []
        for target in lim[i, 0]:
            a = arr.copy()
            a[i, 0] = target
            if end_z(a, i) >= need:
                t0, t1 = 0.0, 1.0  # fraction of the way from x0 to the limit
                for _ in range(_TAIL_STEPS):
                    tm = 0.5 * (t0 + t1)
                    a[i, 0] = x0 + tm * (target - x0)
                    t0, t1 = (t0, tm) if end_z(a, i) >= need else (tm, t1)
                a[i, 0] = x0 + t1 * (target - x0)
            pm = skeleton.pose_matrices(a)
            end = pm[i, :3, 3] + pm[i, :3, 1] * length[i]
            if end[2] > z_now + 1e-6 and end[0] <= x_now + 1e-3:
                options.append((end[2] < need, end[0], a))
        if not options:
            continue
        _, _, a = min(options, key=lambda o: (o[0], o[1]))
        if k + 1 < len(tail):  # the next bone turns back by as much (within its limits), so
            j = tail[k + 1]  # the rest of the tail keeps its direction and lies along the floor
            a[j, 0] = np.clip(a[j, 0] - (a[i, 0] - x0), lim[j, 0, 0], lim[j, 0, 1])
        arr, changed = a, True
    return skeleton.angle_dict(arr) if changed else angles  # unchanged: the same object
