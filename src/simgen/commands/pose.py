"""``simgen pose``: train, evaluate and run the bundled pose model.

torch is imported inside each command so ``simgen --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simgen.commands.options import CameraOpt

app = typer.Typer(help="Train, evaluate and run the bundled heatmap pose model.", no_args_is_help=True)

ModelArg = Annotated[Path, typer.Argument(help="Trained model folder (written by `simgen pose train`).",
                                          show_default=False)]
MaxAnimalsOpt = Annotated[int | None, typer.Option(
    "--max-animals", min=1, help="top-down models: keep at most this many animals per image, the best-scoring "
    "[the most labeled in one training image]")]
ThresholdOpt = Annotated[float | None, typer.Option(
    "--threshold", min=0.0, max=1.0, help="top-down models: a found animal's centre score must reach this [0.3]")]
ArgmaxOpt = Annotated[bool, typer.Option(
    "--argmax", help="read each keypoint's strongest peak alone, without the model's body prior (the keypoints' "
    "distances in its training labels; docs/pose.md), for comparison")]
SOURCE_HELP = ("simgen dataset dir, DeepLabCut project / labeled-data folder, or SLEAP .slp; "
               "append ,frames=A:B to keep rows A..B-1 and ,weight=W to set its share of batches")


def train(
    data: Annotated[list[str], typer.Argument(help=SOURCE_HELP, show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="model folder to write")],
    config: Annotated[str | None, typer.Option("--config", "-c", help=(
        "bundled config name or YAML path: default (small network from scratch; best measured on the open "
        "field: 4.6 px from renders alone against 6.5 for efficientnet_lite0); efficientnet_lite0 "
        "(ImageNet-pretrained encoder, ~2x the time per step; best measured in a home cage); cage (several "
        "mice on bedding: top-down, on efficientnet_lite0); large (from scratch, for a GPU). docs/pose.md, "
        "Backbones"))] = None,
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
        "--topdown-margin", min=0.0, help="sources of several animals (trained top-down, a crop per animal): grow each "
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


def _load(model: Path, argmax: bool):
    from simgen.pose.model import load_model

    tm = load_model(model)
    return tm.read_argmaxes() if argmax else tm


def evaluate(
    model: ModelArg,
    labeled: Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="folder for metrics.json, "
                                             "predictions.csv, worst_frames.png")] = None,
    camera: CameraOpt = None,
    tta: Annotated[bool, typer.Option(
        "--tta", help="test-time augmentation: the median over the flips the model was trained for "
        "(mirror; half turn and vertical flip with --full-rotation); up to 4x the time")] = False,
    oracle_boxes: Annotated[bool, typer.Option(
        "--oracle-boxes", help="top-down models: crop the labeled animals' boxes instead of finding the animals "
        "(measures the pose model alone, given perfect boxes)")] = False,
    max_animals: MaxAnimalsOpt = None,
    threshold: ThresholdOpt = None,
    argmax: ArgmaxOpt = False,
) -> None:
    """Pixel errors (RMSE, mean, median), PCK@5/10 px, per keypoint, on LABELED frames.

    A top-down model (several animals) finds the animals itself, as `predict` does, and
    reports animals found (recall, precision) and errors as % of each animal's length."""
    from rich.console import Console
    from rich.table import Table

    from simgen.pose.evaluate import evaluate as run_eval
    from simgen.pose.evaluate import write_report

    tm = _load(model, argmax)
    ev = run_eval(tm, labeled, camera, tta=tta, oracle_boxes=oracle_boxes, max_animals=max_animals,
                  threshold=threshold)
    files = write_report(ev, out, tm.keypoints) if out is not None else {}
    if "animals" in ev.metrics:  # several animals, found by the model (pose/evaluate.py, evaluate_found)
        _print_found(ev.metrics)
        for kind, path in files.items():
            typer.echo(f"wrote {kind}: {path}")
        return
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


def _print_found(m: dict) -> None:
    """The report of a top-down model that found the animals itself."""
    from rich.console import Console
    from rich.table import Table

    a, rel, td = m["animals"], m["relative"], m["topdown"]
    f = lambda x, p=".2f": "-" if x is None else format(x, p)  # noqa: E731
    table = Table(title=f"{a['found']} animals found in {td['images']} images; errors in px and in % of the "
                        f"animal's length ({rel['length']})")
    for col in ("keypoint", "n", "RMSE px", "mean px", "RMSE %", "mean %", "PCK@5%", "PCK@10%"):
        table.add_column(col, justify="left" if col == "keypoint" else "right")
    rows = [(k, v, rel["per_keypoint"][k]) for k, v in m["per_keypoint"].items()] + [("all", m["all"], rel["all"])]
    for name, px, r in rows:
        table.add_row(name, str(px["n"]), f(px["rmse"]), f(px["mean_error"]), f(r["rmse_pct"]), f(r["mean_pct"]),
                      f(r["pck5"], ".1%"), f(r["pck10"], ".1%"))
    Console().print(table)
    typer.echo(f"animals found: {a['found']} of {a['labeled']} labeled (recall {f(a['recall'], '.1%')}), "
               f"{a['found']} of {a['predicted']} predicted (precision {f(a['precision'], '.1%')}); boxes "
               f"{td['boxes']}, threshold {td['threshold']}, at most {td['max_animals']} per image")
    if "boxed" in a:
        typer.echo(f"finding stage alone: {a['boxed']} of {a['labeled']} labeled animals' centres inside a predicted "
                   f"box ({f(a['box_recall'], '.1%')})")
    ht = m.get("head_tail")
    if ht is not None and ht["frames"]:
        typer.echo(f"head/tail swapped (predicted {ht['head']} nearer the labeled {ht['tail']}): "
                   f"{ht['swapped']} of {ht['frames']} found animals ({ht['rate']:.1%})")


def predict(
    model: ModelArg,
    video: Annotated[Path, typer.Argument(help="video file (anything OpenCV reads); a top-down model also takes "
                                          "a folder of frames", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder (default: the video's)")] = None,
    labeled_video: Annotated[bool, typer.Option("--labeled-video", help="also write a video with the points")] = False,
    max_frames: Annotated[int | None, typer.Option("--max-frames", min=1, help="stop after this many frames")] = None,
    tta: Annotated[bool, typer.Option(
        "--tta", help="test-time augmentation: the median over the flips the model was trained for "
        "(mirror; half turn and vertical flip with --full-rotation); up to 4x the time")] = False,
    max_animals: MaxAnimalsOpt = None,
    threshold: ThresholdOpt = None,
    argmax: ArgmaxOpt = False,
) -> None:
    """DeepLabCut-style .h5 and .csv (x, y, likelihood per keypoint) for every frame of VIDEO.

    A top-down model (several animals) finds the animals in each frame and writes
    DeepLabCut's multi-animal table (individuals animal0..), SLEAP predictions, boxes and a contact sheet."""
    from simgen.pose.predict_animals import run_predict

    files = run_predict(_load(model, argmax), video, out, labeled_video=labeled_video, max_frames=max_frames, tta=tta,
                        max_animals=max_animals, threshold=threshold)
    for kind, path in files.items():
        typer.echo(f"wrote {kind}: {path}")


def adapt(
    model: ModelArg,
    video: Annotated[Path, typer.Argument(help="the lab's video file, or a folder of its frames", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for the adapted model and its pseudo-labels")],
    frames: Annotated[int, typer.Option("--frames", min=1, help="frames to read, spread evenly over the video")] = 200,
    frame_range: Annotated[str | None, typer.Option(
        "--frame-range", metavar="A:B", help="read only frames A..B-1 (e.g. leave the end for testing)")] = None,
    pcutoff: Annotated[float, typer.Option(
        "--pcutoff", min=0.01, max=0.99, help="keep a frame when every keypoint's likelihood reaches this")] = 0.4,
    steps: Annotated[int | None, typer.Option("--steps", min=1, help="fine-tuning steps [the model's config]")] = None,
    tta: Annotated[bool, typer.Option("--tta/--no-tta", help="read the frames with test-time flips")] = True,
    threshold: ThresholdOpt = None,
) -> None:
    """Adapt MODEL to VIDEO without labels (self-training): the frames it reads confidently
    become pseudo-labels (a DeepLabCut project in OUT/pseudo), and it is fine-tuned on them
    with its own training data (the renders) mixed in. docs/pose.md, "Adapting to a video"."""
    from simgen.errors import SimgenError

    rng = None
    if frame_range is not None:
        a, sep, b = frame_range.partition(":")
        try:
            rng = (int(a) if a else 0, int(b) if b else 1 << 62)
        except ValueError:
            sep = ""
        if not sep:
            raise SimgenError(f"--frame-range {frame_range!r}: write A:B (frame numbers, B excluded)")
    from simgen.pose.adapt import adapt as run_adapt

    res = run_adapt(model, video, out, frames=frames, frame_range=rng, pcutoff=pcutoff, threshold=threshold, tta=tta,
                    steps=steps, log=typer.echo)
    t = res.train
    of = f" of {res.frames_read}" if res.frames_read else ""
    typer.echo(f"adapted on {res.frames_kept}{of} frames: {t.steps} steps in {t.seconds:.0f} s; "
               f"model: {t.model_path.parent}")


app.command("train")(train)
app.command("adapt")(adapt)
app.command("evaluate")(evaluate)
app.command("predict")(predict)
