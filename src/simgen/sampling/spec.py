"""FrameSpec: every value sampled for one frame, as plain JSON-serializable data.

The renderer applies a FrameSpec and never draws random numbers itself, so any frame
can be re-rendered alone from its annotation's ``params`` (``FrameSpec.model_validate``).

A frame's animals are one list, ``FrameSpec.animals``: one animal is a list of one. Only
the JSON keeps two forms (the format of ``params`` since before several animals): the one
animal of a one-animal scene (its ``name`` is None) is written as ``"animal": {...}`` with
no ``animals`` key; several animals (each named) as ``"animal": null, "animals": [...]``;
no animal (test scenes of markers or the rig alone) as ``"animal": null``. Both forms read
back into the list.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from simgen.choices import Device, Engine, FramePose, Fur, LightType, SensorFit, SocialConfig
from simgen.imageops import ImageOpsSpec

Vec3 = list[float]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RenderSpec(Spec):
    engine: Engine
    device: Device
    samples: int
    denoise: bool
    resolution: list[int]
    depth: bool
    cycles_seed: int


class PlacementSpec(Spec):
    x: float
    y: float
    z: float
    yaw_deg: float
    # behavior placement: corner, wall, rear_wall or open (left out of the JSON in uniform mode)
    region: str | None = Field(None, exclude_if=lambda v: v is None)
    # several animals (issue 16): how this animal was placed (choices.SocialConfig) and next to whom
    social: SocialConfig | None = Field(None, exclude_if=lambda v: v is None)
    partner: str | None = Field(None, exclude_if=lambda v: v is None)


class PoseSpec(Spec):
    preset: FramePose  # "random": angles drawn within the joint limits
    angles: dict[str, list[float]] = Field(default_factory=dict)


class ShapeSpec(Spec):
    girth: float  # trunk width factor (bone-local x of the spine bones)
    tail: float  # tail thickness factor
    ears: float  # ear size factor
    # tail length factor; left out of the JSON at 1 (annotations from before it unchanged)
    tail_length: float = Field(1.0, exclude_if=lambda v: v == 1.0)


class AnimalSpec(Spec):
    # several animals (issue 16): the animal's name (its track and mask label); None for the
    # animal of a one-animal scene, which the JSON writes in the one-animal form
    name: str | None = Field(None, exclude_if=lambda v: v is None)
    asset: str
    fur: Fur
    scale: float
    placement: PlacementSpec
    pose: PoseSpec
    # left out of the JSON when the scene does not change the shape (all factors 1)
    shape: ShapeSpec | None = Field(None, exclude_if=lambda v: v is None)


class MaterialSpec(Spec):
    color: Vec3
    roughness: float
    texture: str | None = None


class RigSpec(Spec):
    name: str
    asset: str
    position: Vec3
    rotation_deg: Vec3
    scale: Vec3
    size: Vec3 | None
    material: MaterialSpec


class CameraSpec(Spec):
    name: str
    position: Vec3
    look_at: Vec3
    up: Vec3
    focal_mm: float
    sensor_mm: float
    sensor_fit: SensorFit
    shift: list[float]
    resolution: list[int]
    # k1, k2, p1, p2, k3 (OpenCV); left out of the JSON when None, so older frames read the same
    distortion: list[float] | None = Field(None, exclude_if=lambda v: v is None)


class LightSpec(Spec):
    name: str
    type: LightType
    position: Vec3
    look_at: Vec3
    energy: float
    color: Vec3
    size: float


class WorldSpec(Spec):
    color: Vec3
    strength: float


class ClipSpec(Spec):
    """Where a frame sits in its clip (``frames_mode: sequence``)."""

    index: int  # clip number: frame // length
    frame: int  # position in the clip, 0 .. length-1
    length: int
    fps: float
    time_s: float  # frame / fps


class BackgroundSpec(Spec):
    """The background plate of a frame (``scene.background``)."""

    plate: str  # absolute path to the image


class FrameSpec(Spec):
    frame: int
    seed: int
    render: RenderSpec
    # every animal of the frame, in dataset.json's order (mask ids 1..A); one animal is a list of
    # one, none in test scenes of markers or the rig alone. JSON: see the module docstring.
    animals: list[AnimalSpec] = Field(default_factory=list)
    rig: list[RigSpec]
    cameras: list[CameraSpec]
    lights: list[LightSpec]
    world: WorldSpec
    keypoints: str
    clip: ClipSpec | None = None  # set in sequence mode
    # set when the scene has background plates (left out of the JSON otherwise)
    background: BackgroundSpec | None = Field(None, exclude_if=lambda v: v is None)
    # post-render floor/image randomization (issue 14); None = off, and left out of the JSON
    image: ImageOpsSpec | None = Field(None, exclude_if=lambda v: v is None)

    @model_validator(mode="before")
    @classmethod
    def _read_animals(cls, data: Any) -> Any:
        """The JSON's two forms into the one list: ``animal`` (one, or null) and ``animals``."""
        if not isinstance(data, dict) or "animal" not in data:
            return data
        data = dict(data)
        one, several = data.pop("animal"), data.get("animals")
        if one is not None and several is not None:
            raise ValueError("give animal (one animal) or animals (several), not both")
        data["animals"] = [one] if one is not None else (several or [])
        return data

    @model_validator(mode="after")
    def _named_when_several(self) -> FrameSpec:
        if len(self.animals) > 1 and any(a.name is None for a in self.animals):
            raise ValueError("several animals need a name each")
        return self

    @model_serializer(mode="wrap")
    def _write_animals(self, handler) -> dict[str, Any]:
        """``animals`` in the JSON's forms, in the place the ``animal`` key has always had."""
        d = handler(self)
        if "animals" not in d:  # excluded by the caller
            return d
        one = len(self.animals) == 1 and self.animals[0].name is None
        out: dict[str, Any] = {}
        for k, v in d.items():
            if k != "animals":
                out[k] = v
            elif one:
                out["animal"] = v[0]
            else:
                out["animal"] = None
                if v:
                    out["animals"] = v
        return out

    def camera(self, name: str) -> CameraSpec:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
