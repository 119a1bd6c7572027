"""``simgen validate`` and ``simgen sample``: inspect a scene without rendering."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from simgen.commands.options import SceneArg, SetOpt


def validate(scene: SceneArg, set_: SetOpt = None) -> None:
    """Check a scene and print a summary of the resolved scene."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from simgen.keypoints import KeypointSet
    from simgen.scene import load_scene
    from simgen.scene.summary import randomized_fields

    loaded = load_scene(scene, set_ or [])
    s = loaded.scene
    console = Console()
    console.print(f"[bold green]ok[/] {scene}  (sha256 {loaded.sha256[:12]})")
    console.print(f"frames: {s.frames}   seed: {s.seed}   engine: {s.render.engine} "
                  f"({s.render.device}, {s.render.samples} samples)   animal: {s.animal.asset}")
    cams = Table("camera", "resolution", "position", "look_at", "focal_mm", "sensor_mm", title="cameras")
    from simgen.scene.distributions import describe

    for c in s.cameras:
        w, h = c.resolution or s.render.resolution
        cams.add_row(c.name, f"{w}x{h}", describe(c.position), describe(c.look_at),
                     describe(c.focal_mm), describe(c.sensor_mm))
    console.print(cams)
    kps = KeypointSet.load(s.keypoints.names)
    console.print(f"keypoints ({s.keypoints.names}, {len(kps.names)}): {', '.join(kps.names)}")
    if s.rig:
        console.print("rig: " + ", ".join(f"{r.name} ({r.asset})" for r in s.rig))
    rnd = randomized_fields(s)
    table = Table("field", "distribution", title=f"randomized fields ({len(rnd)})")
    for path, desc in rnd:
        table.add_row(escape(path), desc)
    console.print(table)


def sample(
    scene: SceneArg,
    frame: Annotated[int, typer.Option("--frame", "-f", help="Frame index.", min=0)] = 0,
    set_: SetOpt = None,
) -> None:
    """Print the FrameSpec (every sampled value) of one frame as JSON."""
    from simgen.sampling import sample_frame
    from simgen.scene import load_scene

    loaded = load_scene(scene, set_ or [])
    spec = sample_frame(loaded.scene, frame)
    typer.echo(json.dumps(spec.to_json(), indent=2))
