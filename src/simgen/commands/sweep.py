"""``simgen sweep``: run a domain-randomization experiment and report accuracy per arm.

bpy and torch are imported by the stages only, so ``simgen --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import Executor


def _seeds(text: str | None) -> list[int] | None:
    from simgen.sweep.spec import SweepError

    if text is None:
        return None
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise SweepError(f"--seeds {text}: expected whole numbers separated by commas, e.g. 0,1,2") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise SweepError(f"--seeds {text}: give one or more distinct seeds")
    return seeds


def _command_line(ctx: typer.Context) -> list[str]:
    """The command as the user typed it, rebuilt from the options that differ from their
    defaults (for the report and sweep.json)."""
    words = ["simgen", ctx.info_name or "sweep"]
    for p in ctx.command.params:
        value = ctx.params.get(p.name)
        if p.param_type_name == "argument":
            words.append(str(value))
            continue
        if value is None or value == p.default or value in ((), []):
            continue
        flag = max(p.opts, key=len)
        if getattr(p, "is_flag", False):
            words.append(flag)
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            words += [flag, str(v)]
    return words


def sweep(
    ctx: typer.Context,
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file (see docs/sweeps.md).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for stages/, results.csv and report.html.",
                                      show_default=False)],
    executor: Annotated[Executor, typer.Option(help="local: arms one after another here; slurm: one job "
                                                    "per arm x seed.")] = "local",
    resume: Annotated[bool, typer.Option("--resume", help="Run into an --out that holds a sweep, reusing every "
                                                          "finished stage (only new/changed arms compute).")] = False,
    scale_frames: Annotated[float | None, typer.Option("--scale-frames", help="Multiply every arm's frame count "
                                                       "(e.g. 0.1 for a quick run).", show_default=False)] = None,
    steps: Annotated[int | None, typer.Option("--steps", min=1, help="Training steps of every arm.",
                                              show_default=False)] = None,
    seeds: Annotated[str | None, typer.Option("--seeds", help="Seeds instead of the file's, e.g. 0 or 0,1.",
                                              show_default=False)] = None,
    arms: Annotated[str | None, typer.Option("--arms", help="Run only these arms (comma-separated names).",
                                             show_default=False)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", "-s", help="Scene override for every arm, "
                                                   "path=value (after the arm's own), e.g. "
                                                   "'render.resolution=[320, 240]'. Repeatable.",
                                                   show_default=False)] = None,
    workers: Annotated[int, typer.Option(help="Render worker processes per render stage.", min=1)] = 1,
    partition: Annotated[str | None, typer.Option(help="Slurm partition.", show_default=False)] = None,
    time_min: Annotated[int, typer.Option("--time", help="Slurm time limit per job, minutes.", min=1)] = 240,
    mem: Annotated[float, typer.Option(help="Slurm memory per job, GB.", min=0.001)] = 8.0,
    cpus: Annotated[int, typer.Option(help="Slurm CPUs per job.", min=1)] = 4,
    gpus: Annotated[int, typer.Option(help="Slurm GPUs per job.", min=0)] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    real_labeled: Annotated[str | None, typer.Option("--real-labeled", help="Real labeled frames instead of the "
                                                     "file's real.labeled: PATH[,frames=A:B] (DeepLabCut project, "
                                                     "SLEAP file or simgen dataset).", show_default=False)] = None,
    real_video: Annotated[Path | None, typer.Option("--real-video", help="Real video or image folder instead of "
                                                    "the file's real.video (style transfer arms).",
                                                    show_default=False)] = None,
) -> None:
    """Run every arm x seed of SWEEP_FILE (render -> style -> train -> evaluate, -> gap when the file has
    gap:), reusing finished stages; write OUT/results.csv and OUT/report.html."""
    from rich.console import Console

    from simgen.distributed.executors import Resources
    from simgen.sweep.execute import run_sweep
    from simgen.sweep.spec import load_sweep

    console = Console(stderr=True, highlight=False)
    spec = load_sweep(sweep_file, seeds=_seeds(seeds), scale_frames=scale_frames, steps=steps,
                      only=[a.strip() for a in arms.split(",") if a.strip()] if arms else None, extra_set=set_,
                      labeled=real_labeled, video=real_video)
    console.print(f"sweep {sweep_file}: {len(spec.arms)} arm(s) x {len(spec.seeds)} seed(s) "
                  f"({', '.join(a.name for a in spec.arms)})")
    res = run_sweep(spec, out, executor=executor, resume=resume, workers=workers, progress=not quiet,
                    log=lambda m: console.print(m, markup=False, soft_wrap=True),
                    resources=Resources(partition=partition, time_min=time_min, mem_gb=mem, cpus=cpus, gpus=gpus),
                    command=_command_line(ctx))
    kinds = ("render", "style", "train", "evaluate") + (("gap",) if spec.gap is not None else ())
    typer.echo("stages computed: " + ", ".join(f"{k} {res.computed[k]}" for k in kinds)
               + "; reused: " + ", ".join(f"{k} {res.reused[k]}" for k in kinds))
    typer.echo(f"wrote {res.results} and {res.report}")
    if res.failed:
        for r in res.failed:
            typer.echo(f"error: {r.arm.name} seed {r.seed}: {r.error}", err=True)
        raise typer.Exit(1)
