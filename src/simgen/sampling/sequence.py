"""Smooth clips (``frames_mode: sequence``): pose and path of one frame of a clip, pure numpy.

A clip is ``sequence.length`` frames at ``sequence.fps``. Behavior keyframes sit every
``key_seconds``; each draws, from generators keyed by (seed, clip, key), a preset
(keeping the previous key's with probability ``hold``), a posture variant, joint
jitter, a stride frequency, a heading rate and a tail swing. Between two keys
everything blends with a smoothstep weight, so angles and speeds are C1 in time.

Walk and trot are evaluated at a gait phase that integrates the blended stride
frequency: the legs cycle continuously (at a constant frequency these are exactly
the poses of :func:`simgen.assets.poses.gait_sequence`). The animal moves forward at
the speed at which its stance feet do not slide (the feet's backward speed relative
to the body per stride cycle, measured on the skeleton by forward kinematics, times
the stride frequency, times the animal's scale), turns at the blended heading rate,
and near the edge of the placement box (the support of ``placement.x``/``y``) steers
back toward its middle.

Everything about frame j of a clip is integrated from the clip's start on one fixed
grid, so it does not depend on which other frames were sampled, in what order, or
where: ``clip_frame`` carries no state between calls.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from simgen.sampling.draw import draw_number, rng_for
from simgen.sampling.headfixed import fix_head, head_chain
from simgen.sampling.skeletons import skeleton_for

GAIT_HZ_FACTOR = {"walk": 1.0, "trot": 1.7}  # trot strides this much faster than walk
TURN_DEG_S = (90.0, 180.0)  # heading rate of the turn preset
TAIL_AMP_DEG = (0.0, 8.0)  # extra slow tail swing, per key
TAIL_HZ = (0.3, 1.2)
GAIT_LIFT_PHASES = 8  # gait phases averaged for a gait key's ground offset
SUBSTEPS = 8  # integration steps per frame
STEER_GAIN = 6.0  # rad/s of turning per rad of heading error, at the edge of the box
STEER_MARGIN_M = 0.04  # steering starts this far from the box edge


@dataclass(frozen=True)
class Key:
    preset: str
    variant: float
    base: np.ndarray | None  # (B, 3) fixed angles of a non-gait key (None: computed when needed)
    jitter: np.ndarray  # (B, 3) degrees
    stride_hz: float  # gait cycles per second; 0 for a posture
    speed: float  # m/s forward
    turn: float  # rad/s heading rate (+: to the animal's left)
    tail_amp: float


@dataclass(frozen=True)
class ClipFrame:
    preset: str  # the preset that dominates this frame
    angles: dict[str, list[float]]
    x: float
    y: float
    yaw_deg: float
    phase: float  # gait phase, cycles since the clip's start (plus a random offset)
    lift: float  # how far to raise the animal so its feet stand on the floor, unscaled m


def smoothstep_blend(t: np.ndarray, key_seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """(index k of the key before each time, weight of key k+1) with a C1 smoothstep."""
    u = np.asarray(t, float) / key_seconds
    k = np.floor(u).astype(int)
    f = u - k
    return k, f * f * (3.0 - 2.0 * f)


def n_keys(length: int, fps: float, key_seconds: float) -> int:
    """Keys at 0, key_seconds, ... up to one past the clip's last frame."""
    return int(math.floor((length - 1) / fps / key_seconds + 1e-9)) + 2


@functools.lru_cache(maxsize=16)
def stance_speed_per_hz(asset: str, gait: str) -> float:
    """Body speed (m per stride cycle, unscaled) at which the gait's stance feet do not slide:
    the median backward speed of the paws relative to the body while they move backward."""
    from simgen.assets.poses import preset_angles

    skel = skeleton_for(asset)
    names = skel.keypoint_names
    feet = [i for i, n in enumerate(names) if n.endswith("paw")]
    if not feet:
        return 0.0
    n = 64
    x = np.stack([skel.keypoints_posed(preset_angles(skel, gait, i / n))[feet, 0] for i in range(n)])
    dx = (np.roll(x, -1, axis=0) - x) * n  # m per cycle
    back = -dx[dx < 0]
    return float(np.median(back)) if back.size else 0.0


def _preset_names(weights: dict[str, float]) -> tuple[list[str], np.ndarray]:
    names = sorted(weights)
    p = np.array([float(weights[n]) for n in names])
    return names, p / p.sum()


def clip_keys(scene, clip: int, scale: float, animal=None, key: str = "") -> list[Key]:
    """The behavior keyframes of ``clip`` (drawn from generators keyed by the clip).

    ``animal``: the scene's animal block (default ``scene.animal``); ``key`` prefixes every
    generator's field path, so several animals of a scene draw their own keys."""
    from simgen.assets.poses import PRESET_NAMES, sample_pose

    animal = scene.animal if animal is None else animal
    seq, pose = scene.sequence, animal.pose
    skel = skeleton_for(animal.asset)
    lim = skel.limits()
    free = lim[..., 1] > lim[..., 0]
    if pose.fixed_head:
        chain = [skel.bone_names.index(b) for b in head_chain(skel)]
        free = free.copy()
        free[chain] = False
    weights = dict(pose.preset_weights) or {n: 1.0 for n in PRESET_NAMES}
    names, p = _preset_names(weights)
    keys: list[Key] = []
    prev = None
    for k in range(n_keys(seq.length, seq.fps, seq.key_seconds)):
        def rng(field: str, k=k) -> np.random.Generator:
            return rng_for(scene.seed, clip, f"{key}sequence.key{k}.{field}")

        base = None
        if pose.mode == "rest":
            preset = "rest"
        elif pose.mode == "random":
            preset = "random"
            base = skel.angle_array(sample_pose(skel, "random", rng=rng("pose"))["angles"])
            if pose.fixed_head:
                base[chain] = 0.0
        else:
            r = rng("preset")
            hold = r.uniform() < seq.hold
            drawn = names[int(r.choice(len(names), p=p))]
            preset = prev if (hold and prev is not None) else drawn
        prev = preset
        variant = float(rng("variant").uniform())
        jitter = np.zeros_like(lim[..., 0])
        if pose.mode == "presets" and pose.jitter_deg > 0:
            jitter = np.where(free, rng("jitter").normal(0.0, pose.jitter_deg, size=jitter.shape), 0.0)
        hz = speed = turn = 0.0
        if preset in GAIT_HZ_FACTOR:
            hz = draw_number(seq.stride_hz, rng("stride_hz")) * GAIT_HZ_FACTOR[preset]
            speed = stance_speed_per_hz(animal.asset, preset) * hz * scale
            std = draw_number(seq.wander_deg_s, rng("wander_deg_s"))
            turn = math.radians(float(rng("wander").normal(0.0, 1.0)) * std)
        elif preset == "turn":
            side = 1.0 if variant < 0.5 else -1.0  # the turn preset bends left for variant < 0.5
            turn = side * math.radians(float(rng("turn").uniform(*TURN_DEG_S)))
        if pose.fixed_head:  # the head bar holds the animal in place; the legs still run
            speed = turn = 0.0
        keys.append(Key(preset, variant, base, jitter, hz, speed, turn,
                        float(rng("tail").uniform(*TAIL_AMP_DEG))))
    return keys


def _box(animal) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the animal's origin may go: the support of placement x and y; an axis whose
    placement is a constant (or unbounded) does not constrain the path."""
    from simgen.scene.distributions import Dist

    out = []
    for value in (animal.placement.x, animal.placement.y):
        lo, hi = (-math.inf, math.inf)
        if isinstance(value, Dist):
            s_lo, s_hi = value.support()
            s_lo, s_hi = float(np.min(s_lo)), float(np.max(s_hi))
            if math.isfinite(s_lo) and math.isfinite(s_hi) and s_hi > s_lo:
                lo, hi = s_lo, s_hi
        out.append((lo, hi))
    return out[0], out[1]


def _steer(x: float, y: float, th: float, box) -> float:
    (xlo, xhi), (ylo, yhi) = box
    d, half = math.inf, math.inf
    cx, cy = x, y
    if math.isfinite(xlo):
        d, half, cx = min(d, x - xlo, xhi - x), min(half, (xhi - xlo) / 2), (xlo + xhi) / 2
    if math.isfinite(ylo):
        d, half, cy = min(d, y - ylo, yhi - y), min(half, (yhi - ylo) / 2), (ylo + yhi) / 2
    if not math.isfinite(d) or (cx == x and cy == y):
        return 0.0
    margin = min(STEER_MARGIN_M, half)
    prox = min(max(1.0 - d / margin, 0.0), 1.0) ** 2
    if prox == 0.0:
        return 0.0
    err = (math.atan2(cy - y, cx - x) - th + math.pi) % (2 * math.pi) - math.pi
    return STEER_GAIN * prox * err


def clip_motion(keys: list[Key], length: int, fps: float, key_seconds: float, start: tuple[float, float, float],
                phase0: float, box) -> dict[str, np.ndarray]:
    """Per-frame arrays (length ``length``) of gait phase, x, y, heading (rad), key index, blend weight."""
    dt = 1.0 / (fps * SUBSTEPS)
    t = np.arange((length - 1) * SUBSTEPS + 1) * dt
    k, w = smoothstep_blend(t, key_seconds)

    def blend(attr: str) -> np.ndarray:
        a = np.array([getattr(key, attr) for key in keys])
        return (1 - w) * a[k] + w * a[k + 1]

    hz, speed, turn = blend("stride_hz"), blend("speed"), blend("turn")
    phase = phase0 + np.concatenate([[0.0], np.cumsum(0.5 * (hz[1:] + hz[:-1]) * dt)])
    n = len(t)
    xs, ys, ths = np.empty(n), np.empty(n), np.empty(n)
    x, y, th = (float(v) for v in start)
    (xlo, xhi), (ylo, yhi) = box
    xs[0], ys[0], ths[0] = x, y, th
    for i in range(1, n):
        v = 0.5 * (speed[i - 1] + speed[i])
        om = 0.5 * (turn[i - 1] + turn[i]) + (_steer(x, y, th, box) if v > 0 else 0.0)
        mid = th + 0.5 * om * dt  # midpoint rule for the arc
        x = min(max(x + v * math.cos(mid) * dt, xlo), xhi)
        y = min(max(y + v * math.sin(mid) * dt, ylo), yhi)
        th += om * dt
        xs[i], ys[i], ths[i] = x, y, th
    s = slice(None, None, SUBSTEPS)
    return {"phase": phase[s], "x": xs[s], "y": ys[s], "heading": ths[s], "key": k[s], "w": w[s], "t": t[s]}


@functools.lru_cache(maxsize=1024)
def _preset_array(asset: str, preset: str, variant: float, fixed_head: bool) -> np.ndarray:
    """A preset's (B, 3) angles, head-fixed if asked; cached (rear and groom fit their
    feet and paws by Gauss-Newton, and a clip's postures recur in every frame)."""
    from simgen.assets.poses import preset_angles

    skel = skeleton_for(asset)
    angles = preset_angles(skel, preset, variant)
    if fixed_head:
        angles = fix_head(skel, angles, preset)
    arr = skel.angle_array(angles)
    arr.flags.writeable = False
    return arr


def _key_angles(asset: str, key: Key, phase: float, fixed_head: bool) -> np.ndarray:
    if key.base is not None:
        arr = key.base
    else:
        v = phase % 1.0 if key.preset in GAIT_HZ_FACTOR else key.variant
        arr = _preset_array(asset, key.preset, float(v), fixed_head)
    return arr + key.jitter


def _key_lift(asset: str, key: Key, fixed_head: bool) -> float:
    """Ground offset of a key: a posture's own, a gait's mean over its cycle (so the body
    does not bob by what the per-frame lowest paw would say)."""
    from simgen.assets.poses import ground_offset

    skel = skeleton_for(asset)
    lim = skel.limits()
    phases = np.arange(GAIT_LIFT_PHASES) / GAIT_LIFT_PHASES if key.preset in GAIT_HZ_FACTOR else [0.0]
    return float(np.mean([ground_offset(skel, skel.angle_dict(np.clip(_key_angles(asset, key, ph, fixed_head),
                                                                         lim[..., 0], lim[..., 1])))
                          for ph in phases]))


@dataclass(frozen=True)
class ClipTrack:
    """One animal's clip before it is put anywhere: keys, gait and tail phases. Its poses do
    not depend on where the clip starts; ``motion(start)`` gives the path from a start."""

    scene: object
    animal: object
    keys: list[Key]
    phase0: float
    tail_hz: float
    tail_phase0: float
    wavelength: float

    def motion(self, start: tuple[float, float, float]) -> dict[str, np.ndarray]:
        """Per-frame path (``clip_motion``) from ``start`` = (x, y, yaw_deg)."""
        seq = self.scene.sequence
        return clip_motion(self.keys, seq.length, seq.fps, seq.key_seconds,
                           (start[0], start[1], math.radians(start[2])), self.phase0, _box(self.animal))

    def frame(self, j: int, m: dict[str, np.ndarray]) -> ClipFrame:
        """Frame ``j`` on the path ``m`` (from ``motion``)."""
        from simgen.assets.poses import tail_wave

        pose, keys = self.animal.pose, self.keys
        asset = self.animal.asset
        skel = skeleton_for(asset)
        k, w, t, phase = int(m["key"][j]), float(m["w"][j]), float(m["t"][j]), float(m["phase"][j])
        arr = ((1 - w) * _key_angles(asset, keys[k], phase, pose.fixed_head)
               + w * _key_angles(asset, keys[k + 1], phase, pose.fixed_head))
        if pose.mode == "presets":
            tail: dict[str, list[float]] = {}
            amp = (1 - w) * keys[k].tail_amp + w * keys[k + 1].tail_amp
            tail_wave(tail, amp, self.tail_phase0 + self.tail_hz * t, wavelength=self.wavelength)
            have = set(skel.bone_names)
            arr = arr + skel.angle_array({b: v for b, v in tail.items() if b in have})
        lim = skel.limits()
        arr = np.clip(arr, lim[..., 0], lim[..., 1])
        dominant = keys[k] if w < 0.5 else keys[k + 1]
        lift = 0.0
        if not pose.fixed_head:
            lift = (1 - w) * _key_lift(asset, keys[k], False) + w * _key_lift(asset, keys[k + 1], False)
        return ClipFrame(preset=dominant.preset, angles=skel.angle_dict(arr), x=float(m["x"][j]),
                         y=float(m["y"][j]), yaw_deg=math.degrees(float(m["heading"][j])), phase=phase, lift=lift)


def clip_track(scene, clip: int, scale: float, animal=None, key: str = "") -> ClipTrack:
    """The clip of ``animal`` (default ``scene.animal``); ``key`` prefixes its generators' paths."""
    animal = scene.animal if animal is None else animal
    keys = clip_keys(scene, clip, scale, animal, key)
    r = rng_for(scene.seed, clip, f"{key}sequence.clip")
    phase0, tail_hz, tail_phase0, wavelength = r.uniform(), r.uniform(*TAIL_HZ), r.uniform(), r.uniform(5, 12)
    return ClipTrack(scene, animal, keys, phase0, tail_hz, tail_phase0, wavelength)


def clip_frame(scene, clip: int, j: int, scale: float, start: tuple[float, float, float]) -> ClipFrame:
    """Frame ``j`` of clip ``clip``: pose, and the path from ``start`` = (x, y, yaw_deg)."""
    track = clip_track(scene, clip, scale)
    return track.frame(j, track.motion(start))
