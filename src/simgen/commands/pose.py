"""``simgen pose``: train, evaluate and run the bundled pose model.

torch is imported inside each command so ``simgen --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Train, evaluate and run the bundled heatmap pose model.", no_args_is_help=True)

ModelArg = Annotated[Path, typer.Argument(help="Trained model folder (written by `simgen pose train`).",
                                          show_default=False)]
SOURCE_HELP = ("simgen dataset dir, DeepLabCut project / labeled-data folder, or SLEAP .slp; "
               "append ,frames=A:B to keep rows A..B-1 and ,weight=W to set its share of batches")


def train(
    data: Annotated[list[str], typer.Argument(help=SOURCE_HELP, show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="model folder to write")],
    config: Annotated[str | None, typer.Option("--config", "-c", help="bundled config name or YAML path")] = None,
    init: Annotated[Path | None, typer.Option("--init", help="start from this trained model (fine-tuning)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the run in --out from its checkpoint")] = False,
    steps: Annotated[int | None, typer.Option("--steps", help="override the config's steps")] = None,
    keypoints: Annotated[str | None, typer.Option("--keypoints", help="keypoint set for simgen datasets")] = None,
    init_mix: Annotated[float | None, typer.Option(
        "--init-mix", min=0.0, max=0.99, help="with --init: share of batches from the init model's own training "
        "data (e.g. its synthetic renders), so fine-tuning does not forget; 0 = DATA only [config: 0.5]")] = None,
    full_rotation: Annotated[bool, typer.Option(
        "--full-rotation", help="rotate training images by any angle (top-down cameras; augment.rotation_deg 180)")
    ] = False,
    topdown_margin: Annotated[float | None, typer.Option(
        "--topdown-margin", help="sources of several animals (trained top-down, a crop per animal): grow each "
        "box by this share of its longer side on every side [0.25]")] = None,
) -> None:
    """Train a pose model on DATA (one or more sources, mixed by weight).

    DATA of several animals per image trains a top-down model: one crop per animal."""
    from simgen.pose.config import load_config

    overrides = {k: v for k, v in {"steps": steps, "keypoints": keypoints, "init_mix": init_mix}.items()
                 if v is not None}
    cfg = load_config(config, overrides=overrides)  # checked before torch is imported
    if full_rotation:
        cfg = cfg.model_copy(update={"augment": cfg.augment.model_copy(update={"rotation_deg": 180.0})})
    from simgen.pose.train import train as run_train

    res = run_train(data, out, cfg, init=init, resume=resume, log=typer.echo, topdown_margin=topdown_margin)
    val = "" if res.val_error is None else f", validation error {res.val_error:.2f} px"
    typer.echo(f"trained {res.steps} steps in {res.seconds:.0f} s: loss {res.first_loss:.4f} -> "
               f"{res.last_loss:.4f}{val}; model: {res.model_path.parent}")


def evaluate(
    model: ModelArg,
    labeled: Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="folder for metrics.json, "
                                             "predictions.csv, worst_frames.png")] = None,
    camera: Annotated[str | None, typer.Option("--camera", help="camera of a multi-camera dataset")] = None,
    tta: Annotated[bool, typer.Option(
        "--tta", help="test-time augmentation: the median over the flips the model was trained for "
        "(mirror; half turn and vertical flip with --full-rotation); up to 4x the time")] = False,
) -> None:
    """Pixel errors (RMSE, mean, median), PCK@5/10 px, per keypoint, on LABELED frames."""
    from rich.console import Console
    from rich.table import Table

    from simgen.pose.evaluate import evaluate as run_eval
    from simgen.pose.evaluate import write_report
    from simgen.pose.model import load_model

    tm = load_model(model)
    ev = run_eval(tm, labeled, camera, tta=tta)
    files = write_report(ev, out, tm.keypoints) if out is not None else {}
    table = Table(title=f"{ev.metrics['frames']} frames")
    for col in ("keypoint", "n", "RMSE", "mean", "median", "PCK@5", "PCK@10"):
        table.add_column(col, justify="left" if col == "keypoint" else "right")

    def row(name: str, m: dict) -> None:
        f = lambda x, p=".2f": "-" if x is None else format(x, p)  # noqa: E731
        table.add_row(name, str(m["n"]), f(m["rmse"]), f(m["mean_error"]), f(m["median_error"]),
                      f(m["pck5"], ".1%"), f(m["pck10"], ".1%"))

    for name, m in ev.metrics["per_keypoint"].items():
        row(name, m)
    row("all", ev.metrics["all"])
    row("visible", ev.metrics["visible"])
    Console().print(table)
    td = ev.metrics.get("topdown")
    if td is not None:
        pa = Table(title=f"top-down: {td['animals']} animals in {td['images']} images, oracle boxes "
                         "(the labeled boxes; no detector), matched by Hungarian assignment")
        for col in ("animal", "n", "RMSE", "mean", "median", "PCK@5", "PCK@10", "swaps"):
            pa.add_column(col, justify="left" if col == "animal" else "right")
        for name, m in td["per_animal"].items():
            a = m["all"]
            f = lambda x, p=".2f": "-" if x is None else format(x, p)  # noqa: E731
            pa.add_row(name, str(a["n"]), f(a["rmse"]), f(a["mean_error"]), f(a["median_error"]),
                       f(a["pck5"], ".1%"), f(a["pck10"], ".1%"), str(m["identity_swaps"]))
        Console().print(pa)
        typer.echo(f"identity swaps (a pose matched to another animal than its box's): {td['identity_swaps']} "
                   f"of {td['animals']}")
    ht = ev.metrics.get("head_tail")
    if ht is not None and ht["frames"]:
        typer.echo(f"head/tail swapped (predicted {ht['head']} nearer the labeled {ht['tail']}): "
                   f"{ht['swapped']} of {ht['frames']} {'animals' if td else 'frames'} ({ht['rate']:.1%})")
    for kind, path in files.items():
        typer.echo(f"wrote {kind}: {path}")


def predict(
    model: ModelArg,
    video: Annotated[Path, typer.Argument(help="video file (anything OpenCV reads)", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder (default: the video's)")] = None,
    labeled_video: Annotated[bool, typer.Option("--labeled-video", help="also write a video with the points")] = False,
    max_frames: Annotated[int | None, typer.Option("--max-frames", help="stop after this many frames")] = None,
    tta: Annotated[bool, typer.Option(
        "--tta", help="test-time augmentation: the median over the flips the model was trained for "
        "(mirror; half turn and vertical flip with --full-rotation); up to 4x the time")] = False,
) -> None:
    """DeepLabCut-style .h5 and .csv (x, y, likelihood per keypoint) for every frame of VIDEO."""
    from simgen.pose.model import load_model
    from simgen.pose.predict import predict_video

    files = predict_video(load_model(model), video, out, labeled_video=labeled_video, max_frames=max_frames,
                          tta=tta)
    for kind, path in files.items():
        typer.echo(f"wrote {kind}: {path}")


app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("predict")(predict)
