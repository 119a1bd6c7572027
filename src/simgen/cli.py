"""The ``simgen`` command line: parse, call library code, report.

``main`` is the one error boundary: an expected failure (``SimgenError``) prints one
message per line and exits with the error's code (2 for usage, scene and limit errors);
a failure of the system or of a file (disk full, read-only folder, corrupt checkpoint,
not an image, nesting too deep) prints ``error: <what> (<path>): <why>`` and exits 1;
anything else is a bug: one line and the file its traceback was written to. ``--debug``
(or ``SIMGEN_DEBUG=1``) prints tracebacks instead. No command catches errors itself.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from simgen import __version__
from simgen.commands import asset as asset_cmd
from simgen.commands import export as export_cmd
from simgen.commands import farm as farm_cmd
from simgen.commands import gap as gap_cmd  # issue 15
from simgen.commands import pose as pose_cmd
from simgen.commands import preview as preview_cmd
from simgen.commands import render as render_cmd
from simgen.commands import rig as rig_cmd
from simgen.commands import scene as scene_cmd
from simgen.commands import style as style_cmd
from simgen.commands import suggest as suggest_cmd  # issue 15
from simgen.commands import sweep as sweep_cmd
from simgen.commands import verify as verify_cmd

_DEBUG = False  # set by --debug

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
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of any failure.")] = False,
) -> None:
    """Labeled synthetic training data for animal pose estimation."""
    global _DEBUG
    _DEBUG = debug


app.command("validate")(scene_cmd.validate)
app.command("sample")(scene_cmd.sample)
app.command("render")(render_cmd.render)
app.command("preview")(preview_cmd.preview)
app.command("verify")(verify_cmd.verify)
app.command("export")(export_cmd.export)
app.command("sweep")(sweep_cmd.sweep)
app.command("gap")(gap_cmd.gap)  # issue 15
app.command("suggest")(suggest_cmd.suggest)  # issue 15
app.add_typer(asset_cmd.app, name="asset")
app.add_typer(farm_cmd.app, name="farm")
app.add_typer(pose_cmd.app, name="pose")
app.add_typer(rig_cmd.app, name="rig")  # issue 13
app.add_typer(style_cmd.app, name="style")


def _log_warnings() -> None:
    """Library warnings (``logging.getLogger("simgen")``) print as ``warning: ...`` lines."""
    import logging

    class Stderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            typer.echo(f"warning: {record.getMessage()}", err=True)  # sys.stderr as it is now

    logger = logging.getLogger("simgen")
    if not any(type(h).__name__ == "Stderr" for h in logger.handlers):
        logger.addHandler(Stderr(logging.WARNING))


def main() -> None:
    _log_warnings()
    try:
        code = app(standalone_mode=False)  # --help/--version/typer.Exit return their code
    except typer.Abort as exc:
        if isinstance(exc.__cause__, EOFError):  # click turns any EOFError into Abort
            _fail(exc.__cause__)
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors (a bad option or argument): one line, exit 2
        msg, ctx = " ".join(exc.format_message().split()).rstrip("."), getattr(exc, "ctx", None)
        msg = msg.replace(": Value error, ", ": ")  # the prefix of typer's validation of choices
        if msg:  # empty after no_args_is_help's help text
            see = f"; see '{ctx.command_path} --help'" if ctx is not None and ctx.command_path else ""
            typer.echo(f"error: {msg}{see}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001  (the one boundary)
        _fail(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(exc: BaseException) -> None:
    import traceback

    from simgen.errors import one_line

    debug = _DEBUG or os.environ.get("SIMGEN_DEBUG", "") not in ("", "0")
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    text, code = one_line(exc, debug)
    for line in text.splitlines() or [""]:
        typer.echo(f"error: {line}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
