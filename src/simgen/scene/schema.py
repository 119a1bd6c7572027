"""The scene schema: what a scene YAML may say. Every model forbids unknown keys.

Numeric fields that describe the *content* of a frame (animal, rig, cameras, lights,
world) take a constant or a distribution (see ``distributions``). Settings that define
the dataset itself (seed, frame count, resolution, samples) are constants, so every
frame of a dataset shares them. Angles are in degrees, lengths in meters.

To add a field: add it here with a default and a docstring-like ``description``;
``simgen.sampling.frame`` draws it into the FrameSpec; ``docs/scene-reference.md`` is
regenerated with ``python -m simgen.scene.reference > docs/scene-reference.md`` (a test
fails while it is stale).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, Tag, field_validator

from simgen.choices import (
    Device,
    Engine,
    FramesMode,
    Fur,
    LightType,
    PlacementMode,
    PoseMode,
    PosePreset,
    SensorFit,
    SocialConfig,
    names,
)
from simgen.scene.distributions import Number, ScalarOrVector, Vector, bounded, check_weights, tag

Positive = Annotated[Number, bounded(0, lo_open=True)]
NonNegative = Annotated[Number, bounded(0)]
Unit = Annotated[Number, bounded(0, 1)]
Vec3 = Vector(3)
Vec2 = Vector(2)
Color = ScalarOrVector(3, bounded(0, 1))  # a gray level or linear RGB in [0, 1]
PosInt = Annotated[int, Strict(), Field(gt=0)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=False)


class RenderSettings(Model):
    engine: Engine = Field("cycles", description="Blender render engine")
    device: Device = Field("auto", description="cpu, gpu, or auto (gpu when Cycles finds one)")
    samples: PosInt = Field(16, description="Cycles/EEVEE samples per pixel")
    denoise: bool = Field(True, description="OpenImageDenoise on the Cycles result")
    resolution: tuple[PosInt, PosInt] = Field((640, 480), description="[width, height] in pixels")
    depth: bool = Field(False, description="also write depth maps (meters along the camera axis)")
    reuse_background: bool = Field(
        False, description="render the background (everything but the animal) once per camera and, per frame, "
        "only the animal's region with a margin for its shadow (Cycles border render), pasted onto it. Pays "
        "when cameras, lights, world and rig stay the same between frames (within a clip in sequence mode); "
        "when they change every frame, simgen says so and renders full frames")
    region_margin: Annotated[float, Strict(), Field(ge=0)] = Field(
        0.5, description="reuse_background: margin around the animal's box on each side, as a fraction of the "
        "box's longer side (plus 8 px), for its shadow and contact shading")


class Placement(Model):
    x: Number = Field(0.0, description="animal position in the arena, m")
    y: Number = Field(0.0, description="animal position in the arena, m")
    z: Number = Field(0.0, description="height of the feet above the floor, m "
                   "(the sampler adds what a pose such as rear needs to keep the feet down)")
    yaw: Number = Field(0.0, description="heading about +z, degrees (0: snout toward +x)")
    # --- issue 14: placement that follows behavior (simgen.sampling.placement)
    mode: PlacementMode = Field(
        "uniform", description="uniform: x, y, yaw as drawn; behavior (independent frames, needs an arena rig "
        "item): along the walls and into the corners with the probabilities below, a rear_wall pose facing a "
        "wall, no body part through a wall; the open-field rest uses x, y, yaw, kept inside the walls")
    corner: Annotated[float, Field(ge=0, le=1)] = Field(
        0.25, description="behavior mode: chance of a corner, heading into it")
    wall: Annotated[float, Field(ge=0, le=1)] = Field(
        0.45, description="behavior mode: chance of a wall (if not a corner), heading along it")
    wall_gap: NonNegative = Field(0.002, description="behavior mode: gap between the body and the wall, m")
    heading_jitter_deg: NonNegative = Field(
        10.0, description="behavior mode: std of the heading around the wall direction, degrees")

    @field_validator("wall")
    @classmethod
    def _probs(cls, v: float, info) -> float:
        if v + info.data.get("corner", 0.0) > 1:
            raise ValueError("corner + wall must be at most 1")
        return v
    # --- end issue 14


class Pose(Model):
    mode: PoseMode = Field("presets", description="presets: behavior presets + jitter; "
                           "random: joint angles uniform within limits; rest: the rest pose")
    preset_weights: dict[PosePreset, Annotated[float, Strict(), Field(ge=0)]] = Field(
        default_factory=lambda: {"walk": 1.0, "trot": 0.5, "turn": 0.5, "rear": 0.3, "groom": 0.3,
                                 "curl": 0.2, "sniff": 0.5},
        description="relative frequency of each preset (mode presets)")
    jitter_deg: Annotated[float, Strict(), Field(ge=0)] = Field(
        5.0, description="std of Gaussian noise added to every joint angle, degrees")
    fixed_head: bool = Field(
        False, description="head-fixed animal: the bones from the root to the head stay at rest, so the "
        "head does not move against the body's placement while legs, tail, ears and jaw move; scale and "
        "yaw pivot about the head keypoint, and the feet are not re-grounded (the head bar holds the animal)")

    @field_validator("preset_weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weights(list(v.values()), len(v))
        return v


class Shape(Model):
    """Body-shape randomization: real mice differ in build and look plumper when hunched or
    slow, and the video's blur thickens the tail; a model that learned one silhouette
    reads the ends of a different one wrongly (head and tail base swapped)."""

    girth: Annotated[Number, bounded(0.5, 2.0)] = Field(
        1.0, description="width of the trunk (rump, belly, chest) across the body, factor; the legs "
        "move out with it; length and height stay")
    tail: Annotated[Number, bounded(0.5, 3.0)] = Field(
        1.0, description="thickness of the whole tail, factor (its length stays)")
    tail_length: Annotated[Number, bounded(0.05, 1.5)] = Field(
        1.0, description="length of the whole tail, factor; the tail base stays where it is. A "
        "short tail in a share of frames keeps a model from finding the tail base by the tail "
        "alone (a real tail can be faint, blurred or hidden): e.g. {choice: [0.1, 0.25, 0.5, 1.0], "
        "weights: [1, 1, 1, 3]}")
    ears: Annotated[Number, bounded(0.5, 2.0)] = Field(
        1.0, description="size of the ears about their base, factor (ear-tip keypoints move with them)")


class Animal(Model):
    # --- issue 16: several animals (left out of the resolved scene when unset)
    name: str | None = Field(
        None, min_length=1, exclude_if=lambda v: v is None,
        description="several animals: unique name, also the animal's mask label and track "
        "(default <asset><i>, e.g. mouse0)")
    count: PosInt | None = Field(
        None, exclude_if=lambda v: v is None,
        description="animal: only: this many animals, each drawing its own values from this block's "
        "distributions, named <asset>0, <asset>1, ... (a dataset with several animals)")
    # --- end issue 16
    asset: str = Field("mouse", description="'mouse' (bundled) or a path to an animal asset directory")
    fur: Annotated[Union[Annotated[Fur, Tag(tag("name"))], Annotated["FurChoice", Tag(tag("choice"))]],
                   Discriminator(lambda v: tag("choice") if isinstance(v, (dict, FurChoice)) else tag("name"))] = Field("black", description="fur color, or {choice: [...]}")
    scale: Positive = Field(1.0, description="uniform size factor")
    shape: Shape = Field(default_factory=Shape, description="body-shape randomization (all 1: the asset as built)")
    pose: Pose = Field(default_factory=Pose)
    placement: Placement = Field(default_factory=Placement)


class FurChoice(Model):
    choice: list[Fur] = Field(min_length=1)
    weights: list[Annotated[float, Strict()]] | None = None

    @field_validator("weights")
    @classmethod
    def _weights(cls, v, info):
        check_weights(v, len(info.data.get("choice", [])))
        return v


Animal.model_rebuild()


# --- issue 16: several animals
Weight = Annotated[float, Strict(), Field(ge=0)]


class Social(Model):
    """Relative frequency of each configuration in which an animal is placed next to one placed
    before it (sampling.social). The first animal is placed by its own placement."""

    independent: Weight = Field(
        1.0, description="its own placement, anywhere clear of the others")
    nose_to_nose: Weight = Field(
        0.0, description="facing the partner, snouts 1-2 cm apart")
    following: Weight = Field(
        0.0, description="behind the partner, same heading, snout near its tail base")
    side_by_side: Weight = Field(
        0.0, description="parallel to the partner, bodies touching")
    huddle: Weight = Field(
        0.0, description="touching the partner's body at any angle")
    on_top: Weight = Field(
        0.0, description="partly on the partner's back, raised until only shallow contact is left")
    tries: PosInt = Field(
        200, description="placements tried per frame (deterministic per frame) before giving up with an error")

    @property
    def weights(self) -> dict[SocialConfig, float]:
        return {k: getattr(self, k) for k in names(SocialConfig)}

    @field_validator("tries")
    @classmethod
    def _some(cls, v, info):
        if sum(info.data.get(k, 0.0) for k in names(SocialConfig)) <= 0:
            raise ValueError("at least one configuration needs a weight above 0")
        return v
# --- end issue 16


class Material(Model):
    color: Color = Field(0.8, description="gray level or linear RGB in [0, 1]")
    roughness: Unit = Field(0.5, description="0 mirror-like .. 1 matte")
    texture: str | None = Field(None, description="image file mapped onto the surface")


class RigItem(Model):
    name: str = Field(min_length=1, description="unique; also the mask label")
    asset: str = Field(description="a primitive (plane, box, cylinder, arena, wheel, head_post) "
                       "or a mesh file (.obj .stl .ply .glb .gltf .blend)")
    position: Vec3 = Field([0.0, 0.0, 0.0], description="m")
    rotation: Vec3 = Field([0.0, 0.0, 0.0], description="Euler XYZ, degrees")
    scale: ScalarOrVector(3, bounded(0, lo_open=True)) = Field(1.0, description="factor or [sx, sy, sz]")
    size: Vector(3, bounded(0, lo_open=True)) | None = Field(
        None, description="primitive dimensions, m (arena: [width, depth, wall height])")
    material: Material = Field(default_factory=Material)


class CameraJitter(Model):
    position: Vec3 | None = Field(None, description="added to the position, m")
    look_at: Vec3 | None = Field(None, description="added to the look-at point, m")
    focal_mm: Number | None = Field(None, description="added to the focal length, mm")


class Camera(Model):
    name: str = Field(min_length=1, description="unique; names the image folder")
    position: Vec3 = Field(description="m")
    look_at: Vec3 = Field([0.0, 0.0, 0.0], description="point the optical axis goes through, m")
    up: tuple[float, float, float] | None = Field(
        None, description="world direction shown as image-up; default +z, or +y for a camera looking straight down")
    focal_mm: Positive = Field(35.0, description="focal length, mm")
    sensor_mm: Positive = Field(36.0, description="sensor size along the fitted axis, mm")
    sensor_fit: SensorFit = Field("auto", description="which image side sensor_mm spans (auto: the larger)")
    shift: Vec2 = Field([0.0, 0.0], description="lens shift [x, y] in units of the fitted sensor size")
    resolution: tuple[PosInt, PosInt] | None = Field(None, description="overrides render.resolution")
    distortion: tuple[float, float, float, float, float] | None = Field(
        None, description="lens distortion [k1, k2, p1, p2, k3] (OpenCV); images and masks are warped and "
        "keypoints projected through it")
    jitter: CameraJitter = Field(default_factory=CameraJitter)


class Light(Model):
    name: str | None = Field(None, description="default light<i>")
    type: LightType = "area"
    position: Vec3 = Field(description="m")
    look_at: Vec3 = Field([0.0, 0.0, 0.0], description="where area, spot and sun lights point")
    energy: NonNegative = Field(100.0, description="W (sun: W/m^2)")
    color: Color = Field(1.0, description="linear RGB in [0, 1]")
    size: Positive = Field(0.3, description="area size / point radius, m")


class World(Model):
    color: Color = Field(0.05, description="background / ambient light color")
    strength: NonNegative = Field(1.0, description="ambient light strength")


class Keypoints(Model):
    names: str = Field("default", description="keypoint set: a name from configs/keypoints/ or a YAML path")


class SequenceSettings(Model):
    length: PosInt = Field(30, description="frames per clip: frame i is frame i % length of clip i // length")
    fps: Annotated[float, Strict(), Field(gt=0)] = Field(
        30.0, description="frames per second of a clip (how far the animal moves per frame; the mp4 rate)")
    key_seconds: Annotated[float, Strict(), Field(gt=0)] = Field(
        0.5, description="seconds between behavior keyframes; pose, speed and turning blend smoothly between them")
    hold: Annotated[float, Strict(), Field(ge=0, le=1)] = Field(
        0.7, description="chance that a keyframe keeps the previous keyframe's preset (bouts, not a new "
        "behavior every keyframe); otherwise it draws one by animal.pose.preset_weights")
    stride_hz: Positive = Field(
        4.0, description="walking stride frequency, Hz, drawn per keyframe (trot: 1.7 times it); the animal "
        "moves at the speed at which its stance feet do not slide")
    wander_deg_s: NonNegative = Field(
        30.0, description="std of the heading rate while walking or trotting, deg/s, drawn per keyframe "
        "(the turn preset turns at 90-180 deg/s toward its side)")


# --- background plates (issue 13, rig from video) ---
class Tone(Model):
    """The rendered animal's linear light x becomes ``pivot * (x / pivot) ** gamma``
    before it is laid over the plate: a camera that exposes for a bright floor crushes a
    dark animal toward black (gamma > 1) while the floor's own level (``pivot``) stays."""

    gamma: Annotated[float, Field(ge=0.25, le=4.0)] = Field(1.0, description="contrast exponent (1: none)")
    pivot: Annotated[float, Field(gt=0.0, le=1.0)] = Field(0.5, description="linear level left unchanged "
                                                           "(the floor's, in the plate)")


class Background(Model):
    plates: list[str] = Field(min_length=1, description="images of the empty rig, seen by the (first) camera; "
                              "each frame renders the animal and its shadow onto one of them (paths relative to "
                              "the scene file)")
    weights: list[Annotated[float, Strict()]] | None = Field(None, description="relative frequency of each plate")
    tone: Tone | None = Field(None, description="the camera's contrast for the rendered animal against the "
                                "plate (`simgen rig from-video` fits it from the animals' brightness); none: as "
                                "rendered")

    @field_validator("weights")
    @classmethod
    def _weights(cls, v, info):
        check_weights(v, len(info.data.get("plates", [])))
        return v

# --- end background plates ---


# --- issue 14: floor and image randomization (simgen.imageops); every field 0 = off
class ImageRandomization(Model):
    floor_lines: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="chance a frame gets dark lines/curves drawn on the floor (odor trails, "
        "scratches), under the animal")
    floor_lines_max: PosInt = Field(4, description="most floor lines in a frame (at least 1 when drawn)")
    glare: Annotated[float, Field(ge=0, le=1)] = Field(0.0, description="chance of 1-3 glare spots")
    vignette: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="darkening at the image corners, drawn uniform in [0, this]")
    gain: Annotated[float, Field(ge=0, le=2)] = Field(
        0.0, description="sensor gain: the image times exp(uniform(-this, this))")
    blur_px: Annotated[float, Field(ge=0, le=10)] = Field(
        0.0, description="Gaussian blur sigma in pixels, drawn uniform in [0, this]")
    noise: Annotated[float, Field(ge=0, le=0.5)] = Field(
        0.0, description="sensor noise std (0..1 intensity), drawn uniform in [0, this]")
# --- end issue 14


class Scene(Model):
    simgen: Literal[1] = Field(description="scene format version")
    seed: Annotated[int, Strict(), Field(ge=0)] = Field(0, description="dataset seed")
    frames: PosInt = Field(100, description="number of frames")
    frames_mode: FramesMode = Field(
        "independent", description="independent: every frame drawn on its own; sequence: smooth clips of "
        "sequence.length frames (per-clip fur, scale, rig, lights, cameras; moving pose and placement), "
        "also written as mp4 per camera")
    sequence: SequenceSettings = Field(default_factory=SequenceSettings, description="clips (frames_mode: sequence)")
    render: RenderSettings = Field(default_factory=RenderSettings)
    animal: Animal = Field(default_factory=Animal)
    # --- issue 16: several animals (left out of the resolved scene when unset)
    animals: list[Animal] | None = Field(
        None, min_length=1, exclude_if=lambda v: v is None,
        description="several animals, each a block like animal: with its own name (instead of animal:)")
    social: Social | None = Field(
        None, exclude_if=lambda v: v is None,
        description="several animals: how often each is placed in each configuration next to another")
    # --- end issue 16
    rig: list[RigItem] = Field(default_factory=list)
    cameras: list[Camera] = Field(min_length=1)
    lights: list[Light] = Field(default_factory=list)
    world: World = Field(default_factory=World)
    keypoints: Keypoints = Field(default_factory=Keypoints)
    background: Background | None = Field(None, description="render over photographs of the empty rig "
                                          "(background plates) instead of the rendered rig; see docs/rig-from-video.md")
    image: ImageRandomization = Field(default_factory=ImageRandomization,
                                      description="post-render floor and image randomization (issue 14)")

    # --- issue 16
    @property
    def multi(self) -> bool:
        """A scene of several animals (``animals:``, or ``animal.count``): annotations carry
        ``instances``, masks one id per animal."""
        return self.animals is not None or self.animal.count is not None

    def animal_list(self) -> list[tuple[str, Animal]]:
        """(name, block) of every animal, in mask-id and annotation order."""
        if self.animals is not None:
            return [(a.name or f"{asset_stem(a.asset)}{i}", a) for i, a in enumerate(self.animals)]
        a = self.animal
        if a.count is None:
            return [(a.name or asset_stem(a.asset), a)]
        stem = a.name or asset_stem(a.asset)
        return [(f"{stem}{i}", a) for i in range(a.count)]


def asset_stem(asset: str) -> str:
    """'mouse' for the bundled mouse, the folder or file stem of an asset path."""
    from pathlib import PurePath

    return PurePath(asset).stem or "animal"
# --- end issue 16
