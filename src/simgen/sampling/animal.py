"""One animal's values in a frame: scale, fur, pose, its own placement (pure numpy).

``one_animal`` draws the animal of a one-animal scene from generators keyed ``animal.*``;
``simgen.sampling.multi`` draws each of several animals with the same helpers, keyed
``animals.<name>.*``, and then places them next to each other.
"""

from __future__ import annotations

from simgen.sampling.draw import draw_choice, draw_number, rng_for
from simgen.sampling.headfixed import fix_head, pivot_placement
from simgen.sampling.skeletons import skeleton_for
from simgen.sampling.spec import AnimalSpec, ClipSpec, PlacementSpec, PoseSpec, ShapeSpec
from simgen.scene.schema import Animal, Scene


def draw_pose(scene: Scene, frame: int, animal: Animal | None = None, key: str = "animal",
              suffix: str = "") -> PoseSpec:
    """The pose of an independent frame (``animal``: a block of the scene, default ``scene.animal``;
    ``key``: its generators' field path; ``suffix``: a further draw of it)."""
    from simgen.assets.poses import sample_pose  # pure numpy; lazy import

    animal = scene.animal if animal is None else animal
    pose = animal.pose
    skeleton = skeleton_for(animal.asset)
    out = sample_pose(skeleton, pose.mode, dict(pose.preset_weights), pose.jitter_deg,
                      rng_for(scene.seed, frame, f"{key}.pose{suffix}"))
    angles = out["angles"]
    if pose.fixed_head:
        angles = fix_head(skeleton, angles, out["preset"])
    return PoseSpec(preset=out["preset"], angles={k: [float(a) for a in v] for k, v in angles.items()})


def draw_shape(animal: Animal, key: str, rng) -> ShapeSpec | None:
    """The animal's body shape (per clip in sequence mode); None when every factor is 1."""
    out = ShapeSpec(**{f: draw_number(getattr(animal.shape, f), rng(f"{key}.shape.{f}"))
                       for f in ("girth", "tail", "ears", "tail_length")})
    return None if (out.girth, out.tail, out.ears, out.tail_length) == (1.0, 1.0, 1.0, 1.0) else out


def girth(shape: ShapeSpec | None) -> float:
    return 1.0 if shape is None else shape.girth


def lift_tail(animal: Animal, pose: PoseSpec, scale: float, z: float, lift: float | None,
              shape: ShapeSpec | None) -> PoseSpec:
    """The pose with the tail lying on the floor instead of dipping through it (not for a
    head-fixed animal: the head bar holds it, there may be no floor under it)."""
    from simgen.assets.poses import ground_offset, lift_tail_off_floor  # pure numpy; lazy import

    if animal.pose.fixed_head:
        return pose
    skeleton = skeleton_for(animal.asset)
    floor = -(z / scale + (ground_offset(skeleton, pose.angles) if lift is None else lift))
    angles = lift_tail_off_floor(skeleton, pose.angles, floor, 1.0 if shape is None else shape.tail)
    return pose if angles is pose.angles else PoseSpec(preset=pose.preset, angles=angles)


def _behavior(animal: Animal, key: str, rig, skeleton, pose: PoseSpec, scale: float, body_girth: float,
              drawn, rng):
    """Wall/corner/rearing placement (``simgen.sampling.placement``)."""
    from simgen.errors import SimgenError
    from simgen.sampling.placement import arena_box, behavior_placement

    arena = arena_box(rig)
    if arena is None:
        raise SimgenError(f"{key}.placement.mode behavior needs an arena in the rig")
    pl = animal.placement
    return behavior_placement(
        arena, skeleton, pose.angles, pose.preset, scale, drawn, (pl.corner, pl.wall), body_girth,
        draw_number(pl.wall_gap, rng(f"{key}.placement.wall_gap")),
        draw_number(pl.heading_jitter_deg, rng(f"{key}.placement.heading_jitter_deg")),
        rng(f"{key}.placement.behavior"))


def drawn_xyzyaw(animal: Animal, key: str, rng) -> tuple[float, float, float, float]:
    pl = animal.placement
    return (draw_number(pl.x, rng(f"{key}.placement.x")), draw_number(pl.y, rng(f"{key}.placement.y")),
            draw_number(pl.z, rng(f"{key}.placement.z")), draw_number(pl.yaw, rng(f"{key}.placement.yaw")))


def own_placement(animal: Animal, key: str, rig, pose: PoseSpec, scale: float, drawn, lift: float | None,
                  behavior: bool, rng, shape: ShapeSpec | None = None) -> PlacementSpec:
    """The animal's own placement: drawn x, y, z, yaw; behavior mode; head fixing; feet on the floor."""
    from simgen.assets.poses import ground_offset  # pure numpy; lazy import

    x, y, z, yaw = drawn
    skeleton = skeleton_for(animal.asset)
    region = None
    if animal.placement.mode == "behavior" and behavior and not animal.pose.fixed_head:  # issue 14
        x, y, yaw, region = _behavior(animal, key, rig, skeleton, pose, scale, girth(shape), (x, y, yaw), rng)
    if animal.pose.fixed_head:
        # the head bar holds the head: scale and yaw pivot about it, feet are not re-grounded
        x, y, z = pivot_placement(skeleton, x, y, z, yaw, scale)
    else:
        # poses cannot move the root: raise it so the feet stand where they do at rest
        z += scale * (ground_offset(skeleton, pose.angles) if lift is None else lift)
    return PlacementSpec(x=x, y=y, z=z, yaw_deg=yaw, region=region)


def one_animal(scene: Scene, frame: int, clip: ClipSpec | None, rig, rng) -> AnimalSpec:
    """The animal of a scene with one animal (``scene.animal``)."""
    a, key = scene.animal, "animal"
    scale = draw_number(a.scale, rng(f"{key}.scale"))
    shape = draw_shape(a, key, rng)
    x, y, z, yaw = drawn_xyzyaw(a, key, rng)
    if clip is not None:
        from simgen.sampling.sequence import clip_frame

        cf = clip_frame(scene, clip.index, clip.frame, scale, (x, y, yaw))
        pose = PoseSpec(preset=cf.preset, angles=cf.angles)
        x, y, yaw = cf.x, cf.y, cf.yaw_deg
        lift = cf.lift  # smoothed over the gait cycle: no bobbing from frame to frame
    else:
        pose = draw_pose(scene, frame)
        lift = None
    pose = lift_tail(a, pose, scale, z, lift, shape)
    placement = own_placement(a, key, rig, pose, scale, (x, y, z, yaw), lift, clip is None, rng, shape)
    return AnimalSpec(asset=a.asset, fur=draw_choice(a.fur, rng(f"{key}.fur")), scale=scale,
                      placement=placement, pose=pose, shape=shape)
