"""``simgen validate`` and ``simgen sample``: inspect a scene without rendering."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from simgen.commands.options import SceneArg, SetOpt


def _randomized(model: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, description) for every field that holds a distribution."""
    from pydantic import BaseModel

    from simgen.scene.distributions import describe, is_random

    out: list[tuple[str, str]] = []
    if isinstance(model, BaseModel) and not hasattr(model, "kind"):
        for name in type(model).model_fields:
            value = getattr(model, name)
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(value, list) and value and isinstance(value[0], BaseModel):
                for i, item in enumerate(value):
                    label = getattr(item, "name", None) or i
                    out += _randomized(item, f"{path}[{label}]")
            elif hasattr(value, "choice") and isinstance(value, BaseModel) and not hasattr(value, "kind"):
                out.append((path, f"choice({', '.join(value.choice)})"))
            elif isinstance(value, BaseModel) and not hasattr(value, "kind"):
                out += _randomized(value, path)
            elif is_random(value):
                out.append((path, describe(value)))
    return out


def validate(scene: SceneArg, set_: SetOpt = None) -> None:
    """Check a scene and print a summary of the resolved scene."""
    from rich.console import Console
    from rich.table import Table

    from simgen.keypoints import KeypointSet
    from simgen.scene import load_scene

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
    rnd = _randomized(s)
    table = Table("field", "distribution", title=f"randomized fields ({len(rnd)})")
    for path, desc in rnd:
        table.add_row(path, desc)
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
