"""``simgen verify``: report missing or corrupt frames of a dataset directory."""

from __future__ import annotations

from typing import Annotated

import typer

from simgen.commands.options import DatasetArg


def verify(
    out: DatasetArg,
    show: Annotated[int, typer.Option(help="List at most this many problem frames.", min=0)] = 20,
) -> None:
    """Check every frame: annotation parses, images and masks decode at the right size."""
    from simgen.dataset import verify_dataset

    report = verify_dataset(out)
    typer.echo(f"{out}: {len(report.complete)}/{report.expected} frames complete, "
                  f"{len(report.missing)} missing, {len(report.corrupt)} corrupt")
    if report.dropped:
        typer.echo(f"{len(report.dropped)} frame(s) dropped on purpose by the style gate (not errors)")
    if report.missing:
        shown = ", ".join(map(str, report.missing[:show]))
        typer.echo(f"missing: {shown}{' ...' if len(report.missing) > show else ''}")
    for frame, reason in report.corrupt[:show]:
        typer.echo(f"corrupt frame {frame}: {reason}")
    if report.stray_tmp:
        typer.echo(f"{len(report.stray_tmp)} leftover temporary file(s) from interrupted writes "
                      "(harmless; the next render removes or replaces them)")
    if not report.ok:
        raise typer.Exit(1)
