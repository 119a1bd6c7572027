"""``simgen preview``: a contact sheet of a dataset with its labels drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.commands.options import DatasetArg


def preview(
    dataset: DatasetArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")] = Path("sheet.png"),
    n: Annotated[int, typer.Option("--n", "-n", help="Number of tiles.", min=1)] = 16,
    camera: Annotated[str | None, typer.Option(help="Only this camera (default: all).",
                                               show_default=False)] = None,
    tile_width: Annotated[int, typer.Option(help="Tile width in pixels.", min=32)] = 320,
) -> None:
    """Draw keypoints (visible filled, occluded hollow), skeleton edges and boxes on a grid of frames."""
    from simgen.render.contact_sheet import contact_sheet

    path = contact_sheet(dataset, out, n=n, camera=camera, tile_width=tile_width)
    typer.echo(f"wrote {path}")
