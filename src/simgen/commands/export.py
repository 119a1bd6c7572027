"""``simgen export``: write a dataset's labels in a pose tool's format."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import Occluded
from simgen.commands.options import CameraOpt, DatasetArg
from simgen.export.registry import FORMAT_NAMES

# The choices come from the registry, so a new format needs no CLI edit.
ExportFormatName = enum.Enum("ExportFormatName", {n.replace("-", "_"): n for n in FORMAT_NAMES}, type=str)


def export(
    dataset: DatasetArg,
    format: Annotated[ExportFormatName, typer.Option("--format", "-f", help="output format (docs/export.md describes each)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder (new or empty)")],
    keypoints: Annotated[
        str | None,
        typer.Option("--keypoints", help="keypoint set mapping the dataset's names: bundled name or YAML path"),
    ] = None,
    camera: CameraOpt = None,
    occluded: Annotated[
        Occluded | None,
        typer.Option(
            "--occluded",
            help="keep occluded keypoints (with the format's occluded flag) or drop them; "
            "default: the format's own convention (docs/export.md)",
        ),
    ] = None,
) -> None:
    """Export DATASET's labels to DeepLabCut, SLEAP, COCO, YOLO, lightning-pose, NWB, Anipose or DANNCE."""
    from simgen.export.registry import export as run_export

    path = run_export(format.value, dataset, out, camera=camera, keypoints=keypoints, occluded=occluded)
    typer.echo(f"wrote {format.value} export: {path}")
