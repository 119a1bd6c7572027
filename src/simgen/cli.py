"""The ``simgen`` command line: parse, call library code, report.

Expected failures (``SimgenError``) print one message per line and exit with the
error's code (2 for scene errors); they never show a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from simgen import __version__
from simgen.commands import scene as scene_cmd
from simgen.commands import asset as asset_cmd
from simgen.commands import export as export_cmd
from simgen.commands import farm as farm_cmd
from simgen.commands import pose as pose_cmd
from simgen.commands import preview as preview_cmd
from simgen.commands import render as render_cmd
from simgen.commands import rig as rig_cmd  # issue 13
from simgen.commands import style as style_cmd
from simgen.commands import sweep as sweep_cmd
from simgen.commands import verify as verify_cmd

app = typer.Typer(
    name="simgen",
    help="Labeled synthetic training data for animal pose estimation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"simgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Labeled synthetic training data for animal pose estimation."""


app.command("validate")(scene_cmd.validate)
app.command("sample")(scene_cmd.sample)
app.command("render")(render_cmd.render)
app.command("preview")(preview_cmd.preview)
app.command("verify")(verify_cmd.verify)
app.command("export")(export_cmd.export)
app.command("sweep")(sweep_cmd.sweep)
app.add_typer(asset_cmd.app, name="asset")
app.add_typer(farm_cmd.app, name="farm")
app.add_typer(pose_cmd.app, name="pose")
app.add_typer(rig_cmd.app, name="rig")  # issue 13
app.add_typer(style_cmd.app, name="style")


def main() -> None:
    from simgen.errors import SimgenError

    try:
        app()  # standalone: usage errors print and exit 2; --help/--version exit 0
    except SimgenError as err:
        for line in str(err).splitlines():
            typer.echo(f"error: {line}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
