"""``simgen rig``: build a scene from a lab's own rig."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import Walls

app = typer.Typer(help="Build a scene from your rig: plates, camera and lens from a video.", no_args_is_help=True)


@app.command("from-video")
def from_video(
    video: Annotated[Path, typer.Argument(
        help="Video of the rig, or a folder of its frames (any animal in it is removed).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (scene.yaml, plates/, fit.png).")],
    arena: Annotated[tuple[float, float] | None, typer.Option(
        "--arena", help="Inner floor size W H in meters (W along the image's horizontal); default: from the "
                        "animals' size in the video.", show_default=False)] = None,
    corners: Annotated[str | None, typer.Option(
        "--corners", help="Floor corners x1,y1,...,x4,y4 in image pixels (default: found automatically).",
        show_default=False)] = None,
    samples: Annotated[int, typer.Option(help="Frames sampled across the video for the plates.", min=8)] = 96,
    max_plates: Annotated[int, typer.Option(help="Most plates (time segments) if the lighting drifts.", min=1)] = 4,
    wall_height: Annotated[float, typer.Option(help="Arena wall height, m (for occlusion).", min=0.0)] = 0.15,
    render: Annotated[bool, typer.Option(
        "--render/--no-render", help="Render the fitted scene once (light calibration, right half of fit.png).")] = True,
    walls: Annotated[Walls, typer.Option(
        help="clear: a cage's walls (the plate shows them, they hide nothing); opaque: an arena's; "
             "auto: clear when the floor is bedding.")] = "auto",
    animal_length: Annotated[float | None, typer.Option(
        help="Without --arena: the animals' body length seen from above, snout to rump, m (default: the bundled "
             "mouse's, 0.099).", min=0.01, show_default=False)] = None,
    animals: Annotated[int | None, typer.Option(
        help="Animals in the rig (default: counted from the video); 2 or more writes a social scene.", min=1,
        show_default=False)] = None,
) -> None:
    """Background plates, fitted camera and lens, and a scene.yaml from a video of the rig (or a folder of frames)."""
    from simgen.rig.from_video import from_video as run

    res = run(video, arena, out, corners=corners, samples=samples, max_plates=max_plates,
              wall_height=wall_height, render=render, walls=walls, animals=animals,
              animal_length=animal_length, log=typer.echo)
    typer.echo(f"wrote {res.scene}, {len(res.plates)} plate(s) in {res.out / 'plates'}, {res.fit_png}")
    typer.echo("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in res.seconds.items()))
