"""``simgen suggest``: the real frames most worth labeling, as a DeepLabCut project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import SuggestStrategy
from simgen.gap.suggest import DEFAULT_STRATEGY


def suggest(
    video: Annotated[Path, typer.Argument(help="The real video (or a folder of frames).")],
    model: Annotated[Path, typer.Option("--model", help="A trained simgen pose model (folder with model.pt).")],
    out: Annotated[Path, typer.Option("--out", help="The DeepLabCut project to write (new folder).")],
    n: Annotated[int, typer.Option("--n", help="How many frames to pick.", min=1)] = 10,
    sample: Annotated[int, typer.Option(help="Frames sampled evenly from the video to choose from.", min=1)] = 400,
    min_gap: Annotated[int | None, typer.Option(min=0, help="Picks are more than this many video frames apart "
                                                "(default: frame count / (16 n)).")] = None,
    strategy: Annotated[SuggestStrategy, typer.Option(help="typical: k-means over the model's features into n "
                                          "clusters, the most typical frame of each; uncertain: the most "
                                          "uncertain 3n frames, spread by farthest-point; clusters: the "
                                          "same clusters, the most uncertain frame of each (docs/gap.md)")] = DEFAULT_STRATEGY,
) -> None:
    """Pick frames worth labeling: one typical frame per k-means cluster of the model's features (or --strategy)."""
    from simgen.gap.suggest import suggest as run

    res = run(video, model, n, out, sample=sample, min_gap=min_gap, strategy=strategy)
    typer.echo(f"picked {len(res['frames'])} of {res['sampled']} sampled frames "
               f"(at least {res['min_gap'] + 1} frames apart): {', '.join(map(str, res['frames']))}")
    typer.echo(f"wrote {res['folder']} and {Path(out) / 'config.yaml'}; label them with deeplabcut.label_frames")
