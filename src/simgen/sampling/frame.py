"""``sample_frame(scene, i)``: the FrameSpec of frame i, pure numpy.

``frames_mode: independent`` draws every field of frame i from generators keyed by
(seed, i, field). ``frames_mode: sequence`` keys every field by the frame's clip
(i // sequence.length) instead, so fur, scale, rig, lights, cameras and the start
placement stay constant within a clip; the pose and the path then move smoothly
(``simgen.sampling.sequence``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simgen.sampling.draw import (
    draw_choice,
    draw_number,
    draw_scalar_or_vector,
    draw_vector,
    rng_for,
)
from simgen.sampling.headfixed import fix_head, pivot_placement
from simgen.sampling.skeletons import skeleton_for
from simgen.sampling.spec import (
    AnimalSpec,
    BackgroundSpec,
    CameraSpec,
    ClipSpec,
    FrameSpec,
    LightSpec,
    MaterialSpec,
    PlacementSpec,
    PoseSpec,
    RenderSpec,
    RigSpec,
    ShapeSpec,
    WorldSpec,
)
from simgen.scene.schema import Camera, Scene

# A camera whose axis is within ~8 degrees of vertical uses +y as its default image-up.
_VERTICAL_COS = 0.99


def default_up(position: list[float], look_at: list[float]) -> list[float]:
    axis = np.asarray(look_at, float) - np.asarray(position, float)
    norm = np.linalg.norm(axis)
    if norm == 0:
        raise ValueError("camera position equals its look_at point")
    return [0.0, 1.0, 0.0] if abs(axis[2] / norm) > _VERTICAL_COS else [0.0, 0.0, 1.0]


def _camera(scene: Scene, cam: Camera, draw_rng: Callable[[str], np.random.Generator]) -> CameraSpec:
    def rng(field: str) -> np.random.Generator:
        return draw_rng(f"cameras.{cam.name}.{field}")

    position = draw_vector(cam.position, 3, rng("position"))
    look_at = draw_vector(cam.look_at, 3, rng("look_at"))
    focal = draw_number(cam.focal_mm, rng("focal_mm"))
    j = cam.jitter
    if j.position is not None:
        position = list(np.add(position, draw_vector(j.position, 3, rng("jitter.position"))))
    if j.look_at is not None:
        look_at = list(np.add(look_at, draw_vector(j.look_at, 3, rng("jitter.look_at"))))
    if j.focal_mm is not None:
        # jitter must not flip the lens; 1% of the nominal focal length is the floor
        focal = max(focal + draw_number(j.focal_mm, rng("jitter.focal_mm")), 0.01 * focal)
    up = list(cam.up) if cam.up is not None else default_up(position, look_at)
    return CameraSpec(
        name=cam.name,
        position=[float(v) for v in position],
        look_at=[float(v) for v in look_at],
        up=[float(v) for v in up],
        focal_mm=focal,
        sensor_mm=draw_number(cam.sensor_mm, rng("sensor_mm")),
        sensor_fit=cam.sensor_fit,
        shift=draw_vector(cam.shift, 2, rng("shift")),
        resolution=list(cam.resolution or scene.render.resolution),
        distortion=None if cam.distortion is None else [float(v) for v in cam.distortion],
    )



def _pose(scene: Scene, frame: int) -> PoseSpec:
    """The pose of an independent frame."""
    from simgen.assets.poses import sample_pose  # pure numpy; lazy import

    pose = scene.animal.pose
    skeleton = skeleton_for(scene.animal.asset)
    out = sample_pose(skeleton, pose.mode, dict(pose.preset_weights), pose.jitter_deg,
                      rng_for(scene.seed, frame, "animal.pose"))
    angles = out["angles"]
    if pose.fixed_head:
        angles = fix_head(skeleton, angles, out["preset"])
    return PoseSpec(preset=out["preset"], angles={k: [float(a) for a in v] for k, v in angles.items()})


def _shape(shape, rng) -> ShapeSpec | None:
    """The frame's body shape (per clip in sequence mode); None when every factor is 1."""
    out = ShapeSpec(**{f: draw_number(getattr(shape, f), rng("animal.shape." + f))
                       for f in ("girth", "tail", "ears")})
    return None if (out.girth, out.tail, out.ears) == (1.0, 1.0, 1.0) else out


def _behavior(scene: Scene, rig, skeleton, pose: PoseSpec, scale: float, shape: ShapeSpec | None, drawn, rng):
    """Wall/corner/rearing placement (``simgen.sampling.placement``)."""
    from simgen.errors import SimgenError
    from simgen.sampling.placement import arena_box, behavior_placement

    arena = arena_box(rig)
    if arena is None:
        raise SimgenError("animal.placement.mode behavior needs an arena in the rig")
    pl = scene.animal.placement
    return behavior_placement(
        arena, skeleton, pose.angles, pose.preset, scale, drawn, (pl.corner, pl.wall),
        1.0 if shape is None else shape.girth,
        draw_number(pl.wall_gap, rng("animal.placement.wall_gap")),
        draw_number(pl.heading_jitter_deg, rng("animal.placement.heading_jitter_deg")),
        rng("animal.placement.behavior"))


def sample_frame(scene: Scene, frame: int) -> FrameSpec:
    """Every random value of frame ``frame``; same (scene, frame) -> same FrameSpec."""
    from simgen.assets.poses import ground_offset, lift_tail_off_floor  # pure numpy; lazy import

    if frame < 0:
        raise ValueError(f"frame index must be >= 0 (got {frame})")
    seed = scene.seed
    clip = None
    if scene.frames_mode == "sequence":
        seq = scene.sequence
        index, j = divmod(frame, seq.length)
        clip = ClipSpec(index=index, frame=j, length=seq.length, fps=seq.fps, time_s=j / seq.fps)

        def rng(field: str) -> np.random.Generator:  # per clip: constant within it
            return rng_for(seed, index, "clip." + field)
    else:
        def rng(field: str) -> np.random.Generator:
            return rng_for(seed, frame, field)

    rig = []
    for item in scene.rig:
        p = f"rig.{item.name}."
        rig.append(RigSpec(
            name=item.name,
            asset=item.asset,
            position=draw_vector(item.position, 3, rng(p + "position")),
            rotation_deg=draw_vector(item.rotation, 3, rng(p + "rotation")),
            scale=draw_scalar_or_vector(item.scale, 3, rng(p + "scale")),
            size=None if item.size is None else draw_vector(item.size, 3, rng(p + "size")),
            material=MaterialSpec(
                color=draw_scalar_or_vector(item.material.color, 3, rng(p + "material.color")),
                roughness=draw_number(item.material.roughness, rng(p + "material.roughness")),
                texture=item.material.texture,
            ),
        ))
    a = scene.animal
    scale = draw_number(a.scale, rng("animal.scale"))
    shape = _shape(a.shape, rng)
    x = draw_number(a.placement.x, rng("animal.placement.x"))
    y = draw_number(a.placement.y, rng("animal.placement.y"))
    z = draw_number(a.placement.z, rng("animal.placement.z"))
    yaw = draw_number(a.placement.yaw, rng("animal.placement.yaw"))
    if clip is not None:
        from simgen.sampling.sequence import clip_frame

        cf = clip_frame(scene, clip.index, clip.frame, scale, (x, y, yaw))
        pose = PoseSpec(preset=cf.preset, angles=cf.angles)
        x, y, yaw = cf.x, cf.y, cf.yaw_deg
        lift = cf.lift  # smoothed over the gait cycle: no bobbing from frame to frame
    else:
        pose = _pose(scene, frame)
        lift = None
    skeleton = skeleton_for(a.asset)
    if not a.pose.fixed_head:
        # the tail lies on the floor instead of dipping through it
        floor = -(z / scale + (ground_offset(skeleton, pose.angles) if lift is None else lift))
        angles = lift_tail_off_floor(skeleton, pose.angles, floor, 1.0 if shape is None else shape.tail)
        if angles is not pose.angles:
            pose = PoseSpec(preset=pose.preset, angles=angles)
    region = None
    if a.placement.mode == "behavior" and clip is None and not a.pose.fixed_head:  # issue 14
        x, y, yaw, region = _behavior(scene, rig, skeleton, pose, scale, shape, (x, y, yaw), rng)
    if a.pose.fixed_head:
        # the head bar holds the head: scale and yaw pivot about it, feet are not re-grounded
        x, y, z = pivot_placement(skeleton, x, y, z, yaw, scale)
    else:
        # poses cannot move the root: raise it so the feet stand where they do at rest
        z += scale * (ground_offset(skeleton, pose.angles) if lift is None else lift)
    animal = AnimalSpec(
        asset=a.asset,
        fur=draw_choice(a.fur, rng("animal.fur")),
        scale=scale,
        placement=PlacementSpec(x=x, y=y, z=z, yaw_deg=yaw, region=region),
        pose=pose,
        shape=shape,
    )
    lights = []
    for i, light in enumerate(scene.lights):
        name = light.name or f"light{i}"
        p = f"lights.{name}."
        lights.append(LightSpec(
            name=name,
            type=light.type,
            position=draw_vector(light.position, 3, rng(p + "position")),
            look_at=draw_vector(light.look_at, 3, rng(p + "look_at")),
            energy=draw_number(light.energy, rng(p + "energy")),
            color=draw_scalar_or_vector(light.color, 3, rng(p + "color")),
            size=draw_number(light.size, rng(p + "size")),
        ))
    r = scene.render
    return FrameSpec(
        frame=frame,
        seed=seed,
        render=RenderSpec(
            engine=r.engine, device=r.device, samples=r.samples, denoise=r.denoise,
            resolution=list(r.resolution), depth=r.depth,
            cycles_seed=int(rng("render.cycles_seed").integers(0, 2**31 - 1)),
        ),
        animal=animal,
        rig=rig,
        cameras=[_camera(scene, cam, rng) for cam in scene.cameras],
        lights=lights,
        world=WorldSpec(
            color=draw_scalar_or_vector(scene.world.color, 3, rng("world.color")),
            strength=draw_number(scene.world.strength, rng("world.strength")),
        ),
        keypoints=scene.keypoints.names,
        clip=clip,
        background=_background(scene, rng),
        image=_image_ops(scene, rng),
    )


def _background(scene: Scene, rng: Callable[[str], np.random.Generator]) -> BackgroundSpec | None:
    """The plate of this frame (issue 13: rendering over background plates)."""
    bg = scene.background
    if bg is None:
        return None
    w = np.ones(len(bg.plates)) if bg.weights is None else np.asarray(bg.weights, float)
    i = int(rng("background.plate").choice(len(bg.plates), p=w / w.sum()))
    return BackgroundSpec(plate=bg.plates[i])


def _image_ops(scene: Scene, rng):
    """Floor/image randomization of the frame (issue 14; None when all off)."""
    from simgen.imageops import draw_image_ops

    return draw_image_ops(scene.image, rng)
