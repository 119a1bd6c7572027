"""FrameSpec: every value sampled for one frame, as plain JSON-serializable data.

The renderer applies a FrameSpec and never draws random numbers itself, so any frame
can be re-rendered alone from its annotation's ``params`` (``FrameSpec.model_validate``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simgen.imageops import ImageOpsSpec

Vec3 = list[float]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RenderSpec(Spec):
    engine: str
    device: str
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
    region: str | None = None  # behavior placement: corner, wall, rear_wall or open


class PoseSpec(Spec):
    preset: str
    angles: dict[str, list[float]] = Field(default_factory=dict)


class AnimalSpec(Spec):
    asset: str
    fur: str
    scale: float
    placement: PlacementSpec
    pose: PoseSpec


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
    sensor_fit: str
    shift: list[float]
    resolution: list[int]


class LightSpec(Spec):
    name: str
    type: str
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


class FrameSpec(Spec):
    frame: int
    seed: int
    render: RenderSpec
    animal: AnimalSpec
    rig: list[RigSpec]
    cameras: list[CameraSpec]
    lights: list[LightSpec]
    world: WorldSpec
    keypoints: str
    clip: ClipSpec | None = None  # set in sequence mode
    image: ImageOpsSpec | None = None  # post-render floor/image randomization (issue 14); None = off

    def camera(self, name: str) -> CameraSpec:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
