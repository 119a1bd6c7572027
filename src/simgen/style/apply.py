"""``apply_style``: translate a dataset's images into a new dataset directory.

The new directory has the same ``dataset.json`` (plus ``extra.style``: the model, its
method, the seed, the gate thresholds and the dropped frames), byte-identical copies
of the kept frames' annotations, masks and depth maps, and translated images.

The gate: for each frame and camera, the Farneback flow drift inside the animal's
mask (median, px) and the silhouette IoU between the render and its translation
(``metrics.gate``). A frame over either threshold on any camera is dropped: nothing
of it is written, it is listed in ``style_report.json`` and ``extra.style.dropped``,
so a pose model never trains on a frame whose labels may have moved.

Frame ``f`` uses ``np.random.default_rng([seed, f])`` for the classic noise, so an
interrupted run resumed later (frames whose annotation exists are skipped) writes the
same bytes as an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError


@dataclass
class FrameGate:
    frame: int
    camera: str
    drift_px: float
    iou: float
    ssim: float
    keep: bool


@dataclass
class ApplyReport:
    out: Path
    method: str
    written: int = 0
    skipped: int = 0  # already present (resume)
    dropped: list[int] = field(default_factory=list)
    gates: list[FrameGate] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict:
        drift = [g.drift_px for g in self.gates]
        ious = [g.iou for g in self.gates]
        return {"method": self.method, "written": self.written, "skipped": self.skipped,
                "dropped": len(self.dropped), "dropped_frames": self.dropped,
                "median_drift_px": float(np.median(drift)) if drift else None,
                "max_drift_px": float(np.max(drift)) if drift else None,
                "median_iou": float(np.median(ious)) if ious else None,
                "min_iou": float(np.min(ious)) if ious else None,
                "seconds": round(self.seconds, 1)}


def apply_style(model_dir: Path | str, dataset_dir: Path | str, out: Path | str, seed: int = 0,
                max_drift_px: float = 0.5, min_iou: float = 0.95, gate: bool = True, lowres: int | None = None,
                progress: bool = True) -> ApplyReport:
    from simgen.dataset import Dataset, DatasetMeta, DatasetWriter, atomic_write_bytes
    from simgen.style.metrics import GateResult
    from simgen.style.metrics import gate as gate_frame
    from simgen.style.model import Translator

    t0 = time.monotonic()
    src = Dataset(dataset_dir)
    out = Path(out)
    if out.resolve() == src.root.resolve():
        raise SimgenError(f"{out}: --out must be a new directory, not the input dataset")
    translator = Translator(model_dir, lowres=lowres)
    animal_id = src.meta.animal_id
    meta = DatasetMeta.from_json(src.meta.to_json())
    style_info = {"model": str(Path(model_dir).resolve()), "method": translator.method,
                  "model_info": {k: translator.info.get(k) for k in ("profile", "iters_done", "provenance")},
                  "source": str(src.root.resolve()), "seed": seed, "lowres": translator.lowres,
                  "gate": {"enabled": gate, "max_drift_px": max_drift_px, "min_iou": min_iou}}
    meta.extra = {**meta.extra, "style": style_info}
    writer = DatasetWriter(out, meta)
    report = ApplyReport(out, translator.method)
    report_path = out / "style_report.json"
    previous = json.loads(report_path.read_text()) if report_path.is_file() else {}
    report.dropped = list(previous.get("dropped_frames", []))
    report.gates = [FrameGate(**g) for g in previous.get("frames", [])]

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    frames = src.frames()
    with Progress(TextColumn(f"style {translator.method}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TextColumn("dropped {task.fields[dropped]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  disable=not progress) as bar:
        task = bar.add_task("apply", total=len(frames), dropped=len(report.dropped))
        for f in frames:
            if writer.layout.annotation(f).is_file() or f in report.dropped:
                report.skipped += 1
                bar.advance(task)
                continue
            rng = np.random.default_rng([seed, f])
            outs, keep = {}, True
            for cam in src.meta.camera_names:
                raw = src.load_image(cam, f)
                translated = translator(raw, rng)
                has_mask = src.mask_path(cam, f).is_file()
                if gate:
                    if not has_mask:
                        raise SimgenError(f"{src.mask_path(cam, f)}: missing; the gate needs masks (or pass --no-gate)")
                    res = gate_frame(raw, translated, src.load_mask(cam, f) == animal_id, max_drift_px, min_iou)
                else:
                    res = GateResult(True, float("nan"), float("nan"), float("nan"))
                report.gates.append(FrameGate(f, cam, res.drift_px, res.iou, res.ssim, res.keep))
                keep &= res.keep
                outs[cam] = translated
            if not keep:
                report.dropped.append(f)
                bar.update(task, advance=1, dropped=len(report.dropped))
                continue
            for cam, img in outs.items():
                writer.write_image(cam, f, img)
                targets = writer.layout.frame_files(cam, f)
                for kind, p in src.layout.frame_files(cam, f).items():
                    if kind != "image" and p.is_file():  # the image is the translated one
                        atomic_write_bytes(targets[kind], p.read_bytes())
            # last, byte-identical: its presence marks the frame complete
            atomic_write_bytes(writer.layout.annotation(f), src.layout.annotation(f).read_bytes())
            report.written += 1
            bar.advance(task)
    report.seconds = time.monotonic() - t0
    summary = report.summary()
    atomic_write_bytes(report_path, (json.dumps({**summary, "frames": [asdict(g) for g in report.gates]},
                                                indent=1) + "\n").encode())
    # record the outcome in dataset.json too (identity fields unchanged, so shards still agree)
    final = DatasetMeta.load(writer.layout.meta)
    final.extra["style"] = {**style_info, "dropped": sorted(report.dropped), "written": len(Dataset(out).frames())}
    atomic_write_bytes(writer.layout.meta, (json.dumps(final.to_json(), indent=1) + "\n").encode())
    return report
