"""``simgen farm``: render a scene as array-job shards (local processes or Slurm)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import Executor, RenderPreset
from simgen.commands.options import DatasetArg, SceneArg, SetOpt

app = typer.Typer(help="Render farms: submit shards, show their status, resubmit what is missing.",
                  no_args_is_help=True)


def _table(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table("shard", "done", "missing", "job", "state", "attempts")
    for r in rows:
        state = f"[red]{r.state}[/]" if r.failed else r.state
        t.add_row(str(r.shard), f"{r.done}/{r.expected}", str(r.missing), r.job_id, state, str(r.attempts))
    Console().print(t)
    done, total = sum(r.done for r in rows), sum(r.expected for r in rows)
    failed = [r.shard for r in rows if r.failed]
    typer.echo(f"{done}/{total} frames complete; "
               + (f"shards needing `simgen farm resubmit`: {failed}" if failed else "no failed shards"))


@app.command("submit")
def submit(
    scene: SceneArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset directory (shared by all shards).")],
    jobs: Annotated[int, typer.Option(help="Number of shards (array tasks).", min=1)] = 2,
    executor: Annotated[Executor, typer.Option(help="local (processes on this machine) or slurm.")] = "local",
    frames: Annotated[int | None, typer.Option(help="Frames (default: the scene's).", min=1,
                                               show_default=False)] = None,
    start: Annotated[int, typer.Option(help="First frame index.", min=0)] = 0,
    preset: Annotated[RenderPreset | None, typer.Option(help="Render-settings preset (applied before --set).",
                                                        show_default=False)] = None,
    set_: SetOpt = None,
    partition: Annotated[str | None, typer.Option(help="Slurm partition.", show_default=False)] = None,
    time_min: Annotated[int, typer.Option("--time", help="Time limit per job, minutes.", min=1)] = 240,
    mem: Annotated[float, typer.Option(help="Memory per job, GB.", min=0.001)] = 4.0,
    cpus: Annotated[int, typer.Option(help="CPUs per job.", min=1)] = 2,
    gpus: Annotated[int, typer.Option(help="GPUs per job (Cycles uses them with render.device auto/gpu).", min=0)] = 0,
    wait: Annotated[bool | None, typer.Option("--wait/--no-wait", help="Wait for the jobs (default: yes for "
                                              "local, no for slurm).", show_default=False)] = None,
) -> None:
    """Submit a render as --jobs shards; every shard writes into the same --out."""
    from simgen.distributed import farm
    from simgen.distributed.executors import Resources

    res = Resources(partition=partition, time_min=time_min, mem_gb=mem, cpus=cpus, gpus=gpus)
    ledger = farm.submit_render(scene, out, jobs=jobs, executor=executor, frames=frames, start=start,
                                preset=preset, overrides=set_ or [], resources=res)
    ids = [a[-1]["job_id"] for a in ledger["shards"].values()]
    typer.echo(f"submitted {jobs} shard(s) of {ledger['frames']} frames to {executor}: jobs {', '.join(ids)}")
    if wait if wait is not None else executor == "local":
        _wait(out)
    else:
        typer.echo(f"watch with: simgen farm status {out}")


def _wait(out: Path) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from simgen.distributed import farm

    with Progress(TextColumn("frames"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task("farm", total=None)

        def show(rows):
            bar.update(task, completed=sum(r.done for r in rows), total=sum(r.expected for r in rows))

        rows = farm.wait(out, on_poll=show)
    _table(rows)
    if any(r.failed for r in rows):
        raise typer.Exit(1)


@app.command("status")
def status(out: DatasetArg) -> None:
    """Done, missing and failed frames per shard, and each shard's last job."""
    from simgen.distributed import farm

    rows = farm.status(out)
    _table(rows)
    if any(r.failed for r in rows):
        raise typer.Exit(1)


@app.command("resubmit")
def resubmit(
    out: DatasetArg,
    wait: Annotated[bool | None, typer.Option("--wait/--no-wait", help="Wait for the jobs (default: yes for "
                                              "local, no for slurm).", show_default=False)] = None,
) -> None:
    """Requeue shards with missing frames and no live job (more memory after an OOM, once)."""
    from simgen.distributed import farm

    shards, notes = farm.resubmit(out)
    for note in notes:
        typer.echo(note)
    typer.echo(f"resubmitted shards: {shards}" if shards else "nothing to resubmit")
    executor = farm.load_ledger(out)["executor"]
    if shards and (wait if wait is not None else executor == "local"):
        _wait(out)
