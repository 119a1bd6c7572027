"""``simgen gap``: is the simulation good enough for this video? A label-free report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.commands.options import CameraOpt
from simgen.gap.analyze import MIN_FRAMES


def gap(
    dataset: Annotated[Path, typer.Argument(help="The synthetic (simgen) dataset.")],
    video: Annotated[Path, typer.Argument(help="The lab's real video (or a folder of frames).")],
    out: Annotated[Path, typer.Option("--out", help="Report folder (report.html, gap.json).")],
    model: Annotated[Path | None, typer.Option("--model", help="A simgen pose model: enables behavior coverage "
                                               "and the accuracy estimate.")] = None,
    labeled: Annotated[Path | None, typer.Option("--labeled", help="Labeled real frames (DeepLabCut project or "
                                                 "folder) to validate the estimate on.")] = None,
    real_frames: Annotated[int, typer.Option(help="Real frames sampled evenly from the video.", min=MIN_FRAMES)] = 200,
    renders: Annotated[int, typer.Option(help="Renders sampled evenly from the dataset.", min=MIN_FRAMES)] = 200,
    camera: CameraOpt = None,
) -> None:
    """Coverage, behavior coverage, realism and a label-free accuracy estimate, as report.html + gap.json."""
    from simgen.gap.analyze import analyze
    from simgen.gap.report import write

    res = analyze(dataset, video, model, labeled, real_frames, renders, camera)
    files = write(res, out)
    from simgen.gap.report import verdict

    for line in verdict(res):
        typer.echo(line)
    typer.echo(f"wrote {files['html']} and {files['json']}")
