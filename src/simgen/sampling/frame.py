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

from simgen.sampling.animal import one_animal
from simgen.sampling.draw import (
    draw_number,
    draw_scalar_or_vector,
    draw_vector,
    rng_for,
)
from simgen.sampling.spec import (
    BackgroundSpec,
    CameraSpec,
    ClipSpec,
    FrameSpec,
    LightSpec,
    MaterialSpec,
    RenderSpec,
    RigSpec,
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



def sample_frame(scene: Scene, frame: int) -> FrameSpec:
    """Every random value of frame ``frame``; same (scene, frame) -> same FrameSpec."""
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
    if scene.multi:  # issue 16: several animals, keyed by name and placed next to each other
        from simgen.sampling.multi import sample_animals

        animals = sample_animals(scene, frame, clip, rig, rng)
    else:  # keyed ``animal.*`` as before several animals existed, so old datasets re-render alike
        animals = [one_animal(scene, frame, clip, rig, rng)]
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
        animals=animals,
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
