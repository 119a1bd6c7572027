"""Tiny inputs for the sweep tests: a small open-field-like scene, "real" labeled data
(a separately seeded tiny render exported as a DeepLabCut project) and a sweep file.

A plain module (not conftest) so test files can import it by a unique name.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

TINY_SWEEP_SCENE = """\
simgen: 1
seed: 0
frames: 6
render: {engine: workbench, device: cpu, samples: 1, denoise: false, resolution: [96, 72]}
animal: {placement: {x: {uniform: [-0.03, 0.03]}, yaw: {uniform: [0, 360]}}}
rig: [{name: floor, asset: plane, size: [0.4, 0.4, 0.01], material: {color: {uniform: [0.7, 0.9]}}}]
cameras: [{name: top, position: [0, 0, 0.3], focal_mm: 20, sensor_mm: 36,
           jitter: {position: {normal: [0, 0.003]}}}]
lights: [{name: ceiling, type: area, position: [0, 0, 1], energy: {uniform: [40, 80]}, size: 0.5}]
keypoints: {names: openfield_dlc}
"""

# A pose config small enough to train in a second or two on one core.
TINY_TRAIN = """\
  train:
    steps: 4
    set: {input_size: [64, 48], batch_size: 2, val_fraction: 0, val_every: 2, checkpoint_every: 100,
          model.widths: [8, 8, 16, 16], model.blocks: [1, 1, 1], model.decoder_width: 8, threads: 1}
"""


def make_real(root: Path, frames: int = 4) -> Path:
    """A DeepLabCut project of ``frames`` frames rendered with another seed (stands in for real data)."""
    from simgen.export.dlc import export
    from simgen.render.run import render

    scene = root / "real_scene.yaml"
    scene.write_text(TINY_SWEEP_SCENE)
    render(scene, root / "real_render", frames=frames, overrides=["seed=99"], progress=False)
    export(root / "real_render", root / "real_dlc")
    return root / "real_dlc"


def write_sweep(root: Path, real_dlc: Path, extra_arms: str = "", top: str = "",
                arms: str = "styled: {style: classic, description: classic style transfer to the real frames}"
                ) -> Path:
    """scene.yaml + sweep.yaml in ``root``: baseline and (by default) a style-transfer arm, one
    seed; ``top``: more top-level YAML (e.g. ``gap: {frames: 5}``)."""
    (root / "scene.yaml").write_text(TINY_SWEEP_SCENE)
    frames_dir = next((real_dlc / "labeled-data").iterdir())
    text = f"""\
base_scene: scene.yaml
real: {{labeled: {real_dlc}, video: {frames_dir}}}
defaults:
  frames: 6
  preset: null
{TINY_TRAIN}seeds: [0]
design: ofat
{top}
arms:
  {arms}
""" + textwrap.indent(textwrap.dedent(extra_arms), "  ")
    path = root / "sweep.yaml"
    path.write_text(text)
    return path
