"""Several animals in a frame (issue 16): each animal's values, then placements side by side.

Every animal draws scale, fur and pose from generators keyed ``animals.<name>.*`` (so two
animals of one ``animal: {count: N}`` block differ, and adding an animal does not change
the others' values). Then ``simgen.sampling.social`` places them: configurations drawn by
the scene's ``social`` weights, bodies clear of each other in 3D and inside the arena.

In sequence mode each animal gets its own clip (keys, path) and the start placements are
drawn until no two animals interpenetrate in any frame of the clip; ``on_top`` is left out
there (the rider would not move with its partner), and the walls are checked at the start only. The whole clip is worked out once per
clip and kept (``_CLIP_CACHE``), so the frames of a clip cost one clip's work together.
"""

from __future__ import annotations

import math

from simgen.errors import SimgenError
from simgen.sampling.animal import draw_pose, draw_shape, drawn_xyzyaw, girth, lift_tail, own_placement
from simgen.sampling.draw import draw_choice, draw_number
from simgen.sampling.placement import arena_box
from simgen.sampling.skeletons import skeleton_for
from simgen.sampling.social import Body, Pose, check_fit, check_fixed, clash, draw_configs, place_all
from simgen.sampling.spec import AnimalSpec, ClipSpec, PlacementSpec, PoseSpec
from simgen.scene.schema import Scene, Social

POSE_DRAWS = 4  # poses drawn per frame before giving up (a partner rearing at a wall has no front)
REAR_REDRAWS = 8
CLIP_TRIES = 40  # start placements tried per clip before giving up
_CLIP_CACHE: dict[tuple[int, int], tuple[Scene, list[list[AnimalSpec]]]] = {}


def _retry(rng, t: int):
    """The generators of try ``t``: the frame's own for t = 0, then fresh ones per try."""
    return rng if t == 0 else (lambda field: rng(f"{field}#{t}"))


def sample_animals(scene: Scene, frame: int, clip: ClipSpec | None, rig, rng) -> list[AnimalSpec]:
    """Every animal of ``frame``, in ``scene.animal_list()`` order, placed clear of each other."""
    social = scene.social or Social()
    weights = dict(social.weights)
    if clip is not None:
        weights["on_top"] = 0.0
        if sum(weights.values()) <= 0:
            weights["independent"] = 1.0
        key = (id(scene), clip.index)
        hit = _CLIP_CACHE.get(key)
        if hit is None or hit[0] is not scene:
            if len(_CLIP_CACHE) >= 4:
                _CLIP_CACHE.pop(next(iter(_CLIP_CACHE)))
            hit = (scene, _clip_animals(scene, clip, rig, rng, weights, social.tries))
            _CLIP_CACHE[key] = hit
        return hit[1][clip.frame]
    entries = scene.animal_list()
    names = [n for n, _ in entries]
    arena = arena_box(rig)
    drawn, partners = draw_configs(weights, names, rng)
    error: SimgenError | None = None
    per_draw = max(1, social.tries // POSE_DRAWS)
    for draw in range(POSE_DRAWS + 1):
        # the last round places every animal on its own: a frame whose configurations do not fit
        # (rare: a crowded cage) still gets animals (its params say "independent")
        configs = drawn if draw < POSE_DRAWS else ["independent"] * len(names)
        bodies, own_z, values, owns = [], [], [], []
        for k, (name, a) in enumerate(entries):
            key = f"animals.{name}"
            scale = draw_number(a.scale, rng(f"{key}.scale"))
            shape = draw_shape(a, key, rng)
            pose = _pose_for(scene, frame, a, key, draw, configs[k] != "independent")
            pose = lift_tail(a, pose, scale, draw_number(a.placement.z, rng(f"{key}.placement.z")), None, shape)
            skel = skeleton_for(a.asset)
            bodies.append(Body.of(name, skel, pose.angles, scale, girth(shape)))
            values.append((a, scale, pose, draw_choice(a.fur, rng(f"{key}.fur")), shape))

            def own(t: int, a=a, key=key, scale=scale, pose=pose, shape=shape) -> Pose:
                r = _retry(rng, t)
                pl = own_placement(a, key, rig, pose, scale, drawn_xyzyaw(a, key, r), None, True, r, shape)
                return Pose(pl.x, pl.y, pl.z, pl.yaw_deg, pl.region)

            owns.append(own)
            own_z.append(own(0).z)
        if draw == 0:
            check_fit(bodies, arena)
            check_fixed(bodies, [owns[k](0) if _fixed(a) else None for k, (_, a) in enumerate(entries)], configs)
        try:
            poses = place_all(bodies, configs, partners, arena, lambda k, t: owns[k](t),
                              lambda k, t: rng(f"social.{names[k]}.try{t}"), per_draw, own_z,
                              first_try=draw * per_draw)
        except SimgenError as exc:  # e.g. nose to nose with a partner rearing at a wall: other poses
            error = exc
            continue
        return [_spec(name, a, scale, fur, pose, p, configs[k], names[partners[k]], shape)
                for k, ((name, _), (a, scale, pose, fur, shape), p) in enumerate(zip(entries, values, poses))]
    raise SimgenError(f"frame {frame}: {error}")


def _fixed(animal) -> bool:
    """A placement that no try can change: constant x, y and yaw, drawn as they are."""
    from simgen.scene.distributions import Dist

    pl = animal.placement
    return pl.mode == "uniform" and not any(isinstance(v, Dist) for v in (pl.x, pl.y, pl.yaw))


def _pose_for(scene: Scene, frame: int, a, key: str, draw: int, relative: bool) -> PoseSpec:
    """The animal's pose at pose draw ``draw`` (0: the frame's own); an animal placed next to
    another does not rear against a wall it is not at (``rear_wall`` is drawn again)."""
    for extra in range(REAR_REDRAWS):
        suffix = "" if draw == 0 and extra == 0 else f"#{draw}.{extra}"
        pose = draw_pose(scene, frame, a, key, suffix=suffix)
        if not (relative and pose.preset == "rear_wall"):
            break
    return pose


def _spec(name, a, scale, fur, pose: PoseSpec, p: Pose, config: str, partner: str, shape=None) -> AnimalSpec:
    return AnimalSpec(
        name=name, asset=a.asset, fur=fur, scale=scale, pose=pose, shape=shape,
        placement=PlacementSpec(x=p.x, y=p.y, z=p.z, yaw_deg=p.yaw_deg, region=p.region, social=config,
                                partner=None if config == "independent" else partner))


def _clip_animals(scene: Scene, clip: ClipSpec, rig, rng, weights, tries: int) -> list[list[AnimalSpec]]:
    """Every frame of the clip: each animal's pose along its own path, no two interpenetrating."""
    from simgen.sampling.sequence import clip_track

    entries = scene.animal_list()
    names = [n for n, _ in entries]
    arena = arena_box(rig)
    configs, partners = draw_configs(weights, names, rng)
    length = clip.length
    tracks, frames0, bodies, values = [], [], [], []
    for name, a in entries:
        key = f"animals.{name}"
        if a.pose.fixed_head:
            raise SimgenError(f"{key}: head-fixed animals in a clip of several animals are not supported")
        scale = draw_number(a.scale, rng(f"{key}.scale"))
        shape = draw_shape(a, key, rng)
        track = clip_track(scene, clip.index, scale, a, key=f"{key}.")
        m = track.motion((0.0, 0.0, 0.0))  # poses do not depend on where the clip starts
        z0 = draw_number(a.placement.z, rng(f"{key}.placement.z"))
        cfs = [track.frame(j, m) for j in range(length)]
        poses = [lift_tail(a, PoseSpec(preset=cf.preset, angles=cf.angles), scale, z0, cf.lift, shape) for cf in cfs]
        skel = skeleton_for(a.asset)
        tracks.append(track)
        frames0.append(cfs)
        bodies.append([Body.of(name, skel, p.angles, scale, girth(shape)) for p in poses])
        values.append((a, scale, draw_choice(a.fur, rng(f"{key}.fur")), shape, poses))

    def own(k: int, t: int) -> Pose:
        a, scale = values[k][:2]
        key = f"animals.{names[k]}"
        x, y, z, yaw = drawn_xyzyaw(a, key, _retry(rng, t))
        return Pose(x, y, z + scale * frames0[k][0].lift, yaw)

    own_z = [own(k, 0).z for k in range(len(entries))]
    for attempt in range(CLIP_TRIES):
        starts = place_all([b[0] for b in bodies], configs, partners, arena, own,
                           lambda k, t: rng(f"social.{names[k]}.try{t}"), tries, own_z,
                           first_try=attempt * tries)
        paths = []
        for k, (track, p) in enumerate(zip(tracks, starts)):
            m = track.motion((p.x, p.y, p.yaw_deg))
            base_z = p.z - values[k][1] * frames0[k][0].lift
            paths.append([Pose(float(m["x"][j]), float(m["y"][j]), base_z + values[k][1] * frames0[k][j].lift,
                               math.degrees(float(m["heading"][j]))) for j in range(length)])
        if _clip_clear(bodies, paths):
            break
    else:
        raise SimgenError(
            f"clip {clip.index}: {', '.join(names)} could not move through the clip without interpenetration "
            f"in {CLIP_TRIES} tries of start placements; use shorter clips (sequence.length), fewer animals or "
            "a larger arena")
    out = []
    for j in range(length):
        row = []
        for k, (name, _) in enumerate(entries):
            a, scale, fur, shape, poses = values[k]
            row.append(_spec(name, a, scale, fur, poses[j], paths[k][j], configs[k], names[partners[k]], shape))
        out.append(row)
    return out


def _clip_clear(bodies: list[list[Body]], paths: list[list[Pose]]) -> bool:
    """No two animals interpenetrate in any frame. (The walls are checked at the start only: along
    the clip the path keeps each origin inside its placement box, as for one animal.)"""
    n, length = len(bodies), len(paths[0])
    for j in range(length):
        for k in range(n):
            for i in range(k):
                if clash(bodies[i][j], paths[i][j], bodies[k][j], paths[k][j]) > 0:
                    return False
    return True
