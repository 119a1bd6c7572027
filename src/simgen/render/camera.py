"""Pinhole camera maths shared by the renderer and the labels (pure numpy, no bpy).

One camera description (position, look-at, up hint, lens, sensor, shift,
resolution) gives both the settings that Blender needs and the OpenCV
calibration written into the annotations, so the two cannot drift apart.

Conventions
- OpenCV: ``x_cam = R @ X + t``; camera x right, y down, z forward;
  ``(u, v) = (K @ x_cam)[:2] / z``; pixel centers at integer coordinates, the
  origin at the center of the top-left pixel.
- Blender: the camera looks down its local -Z with +Y up; ``sensor_fit`` picks
  which image side the sensor size spans (AUTO: the larger one, with
  ``sensor_width``); ``shift_x/y`` move the image plane in units of that fitted
  side. Pixel aspect is always 1 here.

Blender maps continuous image coordinates [0, W] x [0, H] onto the view plane and
samples pixel ``i`` around ``i + 0.5``; subtracting 0.5 gives the integer-center
convention. ``tests/render/test_label_exactness.py`` proves the formulas with
rendered emissive markers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.choices import SensorFit, SensorSide
from simgen.errors import SimgenError
from simgen.sampling.spec import CameraSpec

# Blender's camera axes expressed in OpenCV camera axes: Blender y is up (OpenCV -y)
# and Blender looks down -z (OpenCV +z is forward).
_CV_TO_BLENDER = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class PinholeCamera:
    """A camera as the scene describes it. Lengths in meters except lens/sensor (mm)."""

    position: np.ndarray  # (3,) world
    look_at: np.ndarray  # (3,) world
    up: np.ndarray  # (3,) world up hint: image "up" points toward it
    focal_mm: float
    sensor_mm: float
    width: int
    height: int
    sensor_fit: SensorFit = "auto"
    shift: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def from_spec(cls, spec: CameraSpec) -> PinholeCamera:
        """From a FrameSpec camera."""
        w, h = (int(v) for v in spec.resolution)
        return cls(
            position=np.asarray(spec.position, float),
            look_at=np.asarray(spec.look_at, float),
            up=np.asarray(spec.up, float),
            focal_mm=float(spec.focal_mm),
            sensor_mm=float(spec.sensor_mm),
            width=w,
            height=h,
            sensor_fit=spec.sensor_fit,
            shift=tuple(float(s) for s in spec.shift),
        )

    # -- extrinsics --------------------------------------------------------------------
    @property
    def R(self) -> np.ndarray:
        """World -> OpenCV camera rotation (rows: camera x, y, z axes in world)."""
        return look_at_rotation(self.position, self.look_at, self.up)

    @property
    def t(self) -> np.ndarray:
        return -self.R @ np.asarray(self.position, float)

    # -- intrinsics --------------------------------------------------------------------
    @property
    def fitted(self) -> SensorSide:
        """Which image side the sensor size spans, resolved as Blender does for AUTO."""
        if self.sensor_fit == "auto":
            return "horizontal" if self.width >= self.height else "vertical"
        return self.sensor_fit

    @property
    def fitted_pixels(self) -> int:
        return self.width if self.fitted == "horizontal" else self.height

    @property
    def focal_px(self) -> float:
        return self.focal_mm / self.sensor_mm * self.fitted_pixels

    @property
    def K(self) -> np.ndarray:
        f = self.focal_px
        sx, sy = self.shift
        # shift moves the view plane: +x right, +y up (Blender), in fitted-side units.
        cx = (self.width - 1) / 2.0 - sx * self.fitted_pixels
        cy = (self.height - 1) / 2.0 + sy * self.fitted_pixels
        return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])

    # -- Blender -----------------------------------------------------------------------
    def blender(self) -> BlenderCameraSettings:
        rot = self.R.T @ _CV_TO_BLENDER  # camera-to-world with Blender's camera axes
        return BlenderCameraSettings(
            location=tuple(float(v) for v in self.position),
            matrix_rotation=rot,
            lens=float(self.focal_mm),
            # Blender reads sensor_width for HORIZONTAL/AUTO and sensor_height for
            # VERTICAL; setting both makes the one size apply whichever is used.
            sensor_width=float(self.sensor_mm),
            sensor_height=float(self.sensor_mm),
            sensor_fit=self.sensor_fit.upper(),
            shift_x=float(self.shift[0]),
            shift_y=float(self.shift[1]),
            resolution=(self.width, self.height),
        )


@dataclass(frozen=True)
class BlenderCameraSettings:
    """What ``render.blender_scene`` copies onto a Blender camera object and scene."""

    location: tuple[float, float, float]
    matrix_rotation: np.ndarray  # (3, 3) camera-to-world, Blender camera axes
    lens: float
    sensor_width: float
    sensor_height: float
    sensor_fit: str  # 'AUTO' | 'HORIZONTAL' | 'VERTICAL'
    shift_x: float
    shift_y: float
    resolution: tuple[int, int]

    @property
    def matrix_world(self) -> np.ndarray:
        m = np.eye(4)
        m[:3, :3] = self.matrix_rotation
        m[:3, 3] = self.location
        return m


def look_at_rotation(position, look_at, up) -> np.ndarray:
    """OpenCV world->camera rotation for a camera at ``position`` facing ``look_at``.

    Image "up" (-y) points as close to ``up`` as possible.
    """
    position = np.asarray(position, float)
    forward = np.asarray(look_at, float) - position
    n = np.linalg.norm(forward)
    if n < 1e-12:
        raise SimgenError("camera look_at equals its position")
    z = forward / n
    x = np.cross(z, np.asarray(up, float))
    nx = np.linalg.norm(x)
    if nx < 1e-9:
        raise SimgenError(
            "camera up vector is parallel to its viewing direction; give a different `up`"
        )
    x /= nx
    y = np.cross(z, x)
    return np.stack([x, y, z])
