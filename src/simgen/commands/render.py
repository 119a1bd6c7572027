"""``simgen render``: render a scene into a labeled dataset directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import RenderPreset
from simgen.commands.options import SceneArg, SetOpt

Preset = Annotated[RenderPreset | None, typer.Option(help="Render-settings preset (applied before --set).",
                                                      show_default=False)]


def render(
    scene: SceneArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset directory to write (or resume).")],
    frames: Annotated[int | None, typer.Option(help="Number of frames (default: the scene's `frames`).",
                                               min=1, show_default=False)] = None,
    start: Annotated[int, typer.Option(help="First frame index.", min=0)] = 0,
    preset: Preset = None,
    set_: SetOpt = None,
    workers: Annotated[int, typer.Option(help="Worker processes; each builds the Blender scene once.",
                                         min=1)] = 1,
    shard: Annotated[str | None, typer.Option(help="Render only frames i, i+N, ... (i/N); auto or auto/N reads the array-job index "
                                                   "(Slurm, PBS, SGE, LSF).",
                                              show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Render frames with headless Blender: images, instance masks and exact labels.

    Rerunning skips complete frames, so an interrupted run is resumed by running it again.
    """
    from simgen.dataset.shards import parse_shard
    from simgen.render.run import plan, run

    p = plan(scene, out, frames=frames, start=start, preset=preset, overrides=set_ or [],
             shard=parse_shard(shard))
    if p.skipped:
        typer.echo(f"{len(p.skipped)} frame(s) already complete; rendering {len(p.todo)}")
    res = run(p, workers=workers, progress=not quiet)
    rate = f", {res.fps:.2f} frames/s" if res.rendered else ""
    typer.echo(f"{out}: rendered {len(res.rendered)} frame(s) in {res.seconds:.1f} s{rate}")
