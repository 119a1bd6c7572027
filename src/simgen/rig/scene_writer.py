"""The scene YAML that ``simgen rig from-video`` writes: a normal, ``extends``-able scene
with the fitted camera, the arena of the given size, lights matched to the video's
floor brightness, and the background plates (paths relative to the scene file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SENSOR_MM = 6.4  # a nominal 1/2" sensor; only focal_mm / sensor_mm matters for the image
MARGIN_M = 0.05  # keep the animal's center this far from the walls
CLEAR_WALL_M = 0.002  # clear walls: a 2 mm lip (a wall must have a height)
ARENA_PART = "arena"  # the scene's one rig part (floor and walls); its mask id is in dataset.json
# Several animals in a cage: how each after the first is placed next to another (as
# scenes/homecage_group.yaml: caged mice rest together more than they meet nose to nose).
SOCIAL = """social:
  independent: 0.3
  nose_to_nose: 0.1
  following: 0.1
  side_by_side: 0.2
  huddle: 0.25
  on_top: 0.05
"""


@dataclass
class RigDescription:
    video: str
    arena_m: tuple[float, float]
    wall_height_m: float
    resolution: tuple[int, int]
    position: np.ndarray
    look_at: np.ndarray
    up: np.ndarray
    focal_px: float
    dist: np.ndarray  # k1, k2, p1, p2, k3
    corner_rms: float
    energy: tuple[float, float, float]  # nominal, low, high (W)
    world_strength: float
    floor_linear: float  # the arena material's albedo guess (linear)
    fur: str  # black or white: the animal's polarity in the video
    plates: list[str]  # relative to the scene file
    light_height_m: float
    animals: int = 1  # how many the video shows at once: 2+ writes `count` and social placements
    clear_walls: bool = False  # the walls are clear (a cage): the plate shows them, they hide nothing
    animal_scale: float = 1.0  # the bundled mouse scaled to the video's animals (rig.animal_size)
    tone: tuple[float, float] | None = None  # (gamma, pivot): the rendered animal's brightness matched (scene.Tone)


def _f(v: float, nd: int = 4) -> str:
    return f"{float(v):.{nd}f}".rstrip("0").rstrip(".") if "." in f"{float(v):.{nd}f}" else f"{v}"


def _vec(v, nd: int = 4) -> str:
    return "[" + ", ".join(_f(x, nd) for x in v) + "]"


def scene_yaml(d: RigDescription) -> str:
    w, h = d.arena_m
    k = d.dist
    focal_mm = d.focal_px / d.resolution[0] * SENSOR_MM
    px, py = max(w / 2 - MARGIN_M, 0.0), max(h / 2 - MARGIN_M, 0.0)
    _, elo, ehi = d.energy
    albedo = float(np.clip(d.floor_linear, 0.05, 0.95))
    plates = "".join(f"\n    - {p}" for p in d.plates)
    tone = (f"\n  tone: {{gamma: {_f(d.tone[0], 3)}, pivot: {_f(d.tone[1], 4)}}}   # the animal's brightness "
            "matched to the video's" if d.tone is not None else "")
    background = f"background:\n  plates:{plates}{tone}\n" if d.plates else ""
    # clear walls: a lip that keeps the floor's edge and hides nothing (the plate shows the walls)
    wall = CLEAR_WALL_M if d.clear_walls else d.wall_height_m
    wall_note = "   # clear walls: the plate shows them; a lip hides nothing" if d.clear_walls else ""
    count = f"\n  count: {d.animals}" if d.animals > 1 else ""
    social = SOCIAL if d.animals > 1 else ""
    # several animals: placed along walls and into corners as caged mice rest, bodies checked against the walls
    behavior = "\n    mode: behavior" if d.animals > 1 else ""
    placement_note = ("Behavior placement: several animals in a cage rest along its walls and together." if d.animals > 1
                      else "Behavior placement (`placement.mode:\n  # behavior`, rearing at the walls) did not "
                           "help on the open field (issue 14), so it is not on.")
    return f"""\
# Made by `simgen rig from-video {d.video} --arena {_f(w)} {_f(h)}`.
# Camera and lens (k1, k2) fitted to the floor rectangle (corner reprojection error
# {d.corner_rms:.2f} px rms); renders go through the same lens, so they line up with
# the background plates (the empty rig as the camera saw it). Light energy matched to
# the video's floor brightness over its frames. Edit freely or `extends:` this file.
simgen: 1
seed: 0
frames: 1000
render: {{engine: cycles, device: auto, samples: 16, denoise: true, resolution: {_vec(d.resolution)}}}
animal:{count}
  asset: mouse
  fur: {d.fur}   # from the video: a {"dark" if d.fur == "black" else "light"} animal on its floor
  scale: {{uniform: [{_f(0.92 * d.animal_scale, 3)}, {_f(1.08 * d.animal_scale, 3)}]}}   # matched to the video's animals
  # Body shape: what kept a synthetic-only model from reading the real mouse's head as its
  # tail base (docs/benchmarks.md, issue 14). {placement_note}
  shape: {{girth: {{uniform: [1.0, 1.5]}}, tail: {{uniform: [1.0, 2.0]}}, ears: {{uniform: [1.0, 1.4]}}}}
  pose: {{mode: presets, jitter_deg: 5.0}}
  placement:{behavior}
    x: {{uniform: [{_f(-px)}, {_f(px)}]}}
    y: {{uniform: [{_f(-py)}, {_f(py)}]}}
    yaw: {{uniform: [0, 360]}}
rig:
  - name: {ARENA_PART}
    asset: arena
    size: [{_f(w)}, {_f(h)}, {_f(wall, 3)}]{wall_note}
    material: {{color: {_f(albedo, 3)}, roughness: 0.6}}
cameras:
  - name: top
    position: {_vec(d.position)}
    look_at: {_vec(d.look_at)}
    up: {_vec(d.up)}
    focal_mm: {_f(focal_mm, 3)}
    sensor_mm: {_f(SENSOR_MM, 2)}
    distortion: [{_f(k[0], 5)}, {_f(k[1], 5)}, 0, 0, 0]
lights:
  - {{name: ceiling, type: area, position: [0, 0, {_f(d.light_height_m, 3)}], energy: {{uniform: [{_f(elo, 2)}, {_f(ehi, 2)}]}}, size: {_f(1.5 * max(w, h), 3)}}}
world: {{color: 0.9, strength: {_f(d.world_strength, 3)}}}
keypoints: {{names: default}}
{social}{background}"""


def write_scene(path: Path, d: RigDescription) -> Path:
    from simgen.dataset.writer import atomic_write_text

    path = Path(path)
    atomic_write_text(path, scene_yaml(d))  # makes the folder
    return path
