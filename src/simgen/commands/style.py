"""``simgen style``: train a style model, apply it to a dataset, score a dataset against real video.

Register with ``app.add_typer(style_cmd.app, name="style")``. Library code lives in
``simgen.style``; torch is imported only inside the commands that need it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.choices import StyleMethod, StyleProfile
from simgen.commands.options import CameraOpt, DatasetArg

app = typer.Typer(help="Make renders look like real video, keeping every keypoint.", no_args_is_help=True)


RealOpt = Annotated[Path, typer.Option("--real", help="Real video file or folder of real frames.",
                                       show_default=False)]
ThreadsOpt = Annotated[int, typer.Option("--threads", min=0,
                                         help="torch CPU threads (0: torch's default). 1 is fastest on a busy "
                                              "2-core machine.")]


@app.command("train")
def train(
    synthetic: Annotated[Path, typer.Option("--synthetic", help="Rendered dataset (with masks).", show_default=False)],
    real: RealOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write (or resume).", show_default=False)],
    method: Annotated[StyleMethod, typer.Option("--method", help="Style method.")] = "classic",
    profile: Annotated[StyleProfile, typer.Option("--profile", help="cpu: small generator, 128 px crops; gpu: "
                                                               "reference sizes.")] = "cpu",
    iters: Annotated[int | None, typer.Option("--iters", min=1, help="Training iterations (learned methods; "
                                                                     "default 2000 cpu, 200000 gpu).",
                                              show_default=False)] = None,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", min=0.0, help="Stop (with a checkpoint) after this "
                                                      "long; rerun to resume.", show_default=False)] = None,
    n_real: Annotated[int, typer.Option("--n-real", min=3, help="Real frames sampled evenly.")] = 200,
    n_synthetic: Annotated[int, typer.Option("--n-synthetic", min=1, help="Rendered frames sampled evenly.")] = 200,
    camera: CameraOpt = None,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    threads: ThreadsOpt = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Fit the classic method to the real video and, for cyclegan/fastcut, train a generator on top."""
    from simgen.style.model import set_threads
    from simgen.style.train import train_style

    if method != "classic":
        set_threads(threads)
    res = train_style(synthetic, real, out, method=method, profile=profile, iters=iters, seed=seed,
                      n_real=n_real, n_synthetic=n_synthetic, max_minutes=max_minutes, progress=not quiet,
                      camera=camera)
    done = f", {res.iters_done}/{res.iters} iterations" if res.iters else ""
    typer.echo(f"wrote {res.method} model {res.model_dir}{done} in {res.seconds:.0f} s; sheet {res.sheet}")
    if res.iters and res.iters_done < res.iters:
        typer.echo("stopped by --max-minutes; run the same command again to resume")


@app.command("apply")
def apply(
    model: Annotated[Path, typer.Argument(help="Model directory from `simgen style train`.", show_default=False)],
    dataset: DatasetArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="New dataset directory to write (or resume).",
                                      show_default=False)],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the classic noise (per frame: [seed, frame]).")] = 0,
    max_drift: Annotated[float, typer.Option("--max-drift", min=0.0, help="Gate: largest median flow drift inside the "
                                                                 "mask (px).")] = 0.5,
    min_iou: Annotated[float, typer.Option("--min-iou", min=0.0, max=1.0, help="Gate: smallest silhouette IoU.")] = 0.95,
    no_gate: Annotated[bool, typer.Option("--no-gate", help="Keep every frame (drift is not measured).")] = False,
    lowres: Annotated[int | None, typer.Option("--lowres", min=1, help="Run the network k times smaller and add "
                                               "its upsampled change to the full-resolution frame.",
                                               show_default=False)] = None,
    threads: ThreadsOpt = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Translate DATASET's images into a new dataset dir; same annotations and masks; gated frames dropped."""
    from simgen.style.apply import apply_style
    from simgen.style.model import set_threads

    set_threads(threads)
    rep = apply_style(model, dataset, out, seed=seed, max_drift_px=max_drift, min_iou=min_iou, gate=not no_gate,
                      lowres=lowres, progress=not quiet)
    s = rep.summary()
    typer.echo(f"wrote {out}: {s['written']} frame(s) translated, {s['skipped']} already there, "
               f"{s['dropped']} dropped by the gate (report: {out / 'style_report.json'})")
    if s["median_drift_px"] is not None and not no_gate:
        typer.echo(f"flow drift inside the mask: median {s['median_drift_px']:.3f} px, max {s['max_drift_px']:.3f} "
                   f"px; silhouette IoU: median {s['median_iou']:.3f}, min {s['min_iou']:.3f}")


@app.command("score")
def score(
    dataset: DatasetArg,
    real: RealOpt,
    reference: Annotated[Path | None, typer.Option("--reference", help="The raw rendered dataset, for the "
                                                   "baseline and geometry.", show_default=False)] = None,
    n: Annotated[int, typer.Option("--n", min=5, help="Dataset frames used.")] = 100,
    n_real: Annotated[int, typer.Option("--n-real", min=5, help="Held-out real frames used.")] = 100,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the numbers here.",
                                                  show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    threads: ThreadsOpt = 1,
) -> None:
    """KID (two offline feature sets) and C2ST against real frames; SSIM, flow drift and silhouette IoU
    against the raw render."""
    from rich.console import Console
    from rich.table import Table

    from simgen.style.model import set_threads
    from simgen.style.score import score_dataset

    set_threads(threads)
    sc = score_dataset(dataset, real, reference, n=n, n_real=n_real, seed=seed)
    table = Table(title=f"{dataset} vs {real} ({sc.frames} frames, {sc.real_frames} real)")
    table.add_column("metric")
    table.add_column("this dataset", justify="right")
    if sc.reference is not None:
        table.add_column("raw render (reference)", justify="right")
    labels = {"cnn": "KID vs real, random-CNN features, frames", "classic": "KID vs real, classic features, frames",
              "cnn_crop": "KID vs real, random-CNN features, animal crops",
              "classic_crop": "KID vs real, classic features, animal crops"}
    for name, (m, s) in sc.dataset.kid.items():
        row = [labels.get(name, name), f"{m:.4f} +- {s:.4f}"]
        if sc.reference is not None:
            rm, rs = sc.reference.kid[name]
            row.append(f"{rm:.4f} +- {rs:.4f}")
        table.add_row(*row)
    for key, acc in sc.dataset.c2st.items():
        row = [f"C2ST accuracy, {'frames' if key == 'frame' else 'animal crops'} (0.5: indistinguishable)",
               f"{acc:.3f}"]
        if sc.reference is not None:
            row.append(f"{sc.reference.c2st[key]:.3f}")
        table.add_row(*row)
    g = sc.geometry
    if g:
        table.add_row("SSIM vs raw (median)", f"{g['ssim_median']:.3f}", "1")
        table.add_row("flow drift in mask, px (median / p95)",
                      f"{g['flow_drift_median_px']:.3f} / {g['flow_drift_p95_px']:.3f}", "0")
        table.add_row("silhouette IoU (median / min)",
                      f"{g['silhouette_iou_median']:.3f} / {g['silhouette_iou_min']:.3f}", "1")
    Console().print(table)
    if json_out is not None:
        from simgen.dataset.writer import atomic_write_json

        atomic_write_json(json_out, sc.to_json())
        typer.echo(f"wrote {json_out}")
