"""Typer options used by more than one command, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SceneArg = Annotated[Path, typer.Argument(help="Scene YAML file.", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a scene field: path.to.key=value (value is YAML). Repeatable.",
                 show_default=False),
]
DatasetArg = Annotated[Path, typer.Argument(help="Dataset directory written by `simgen render`.",
                                            show_default=False)]
# one rule (dataset.meta.DatasetMeta.pick_camera): needed only when the dataset has several cameras
CameraOpt = Annotated[str | None, typer.Option(
    "--camera", help="Camera of a simgen dataset; needed only when it has several.", show_default=False)]
