"""The one list of export formats: it drives dispatch and the CLI's ``--format`` choices.

Importing this module imports no exporter (sleap-io, pandas and pynwb load lazily),
so ``simgen --help`` stays fast. To add a format: write ``simgen/export/<fmt>.py``
with ``export(dataset, out, *, camera, keypoint_set, occluded) -> Path``, an
``OCCLUDED_DEFAULT`` (what the tool's own users do with occluded keypoints; used when
``occluded`` is None) and a docstring stating its coordinate and visibility
conventions, add one line to
``FORMATS`` below, round-trip it in ``tests/export/``, and describe it in
``docs/export.md``. A format that takes several animals per image sets
``multi_animal=True`` and reads ``labels.labels_for_export`` (identities kept where the
format has them: all but yolo); the others are refused a dataset of several animals here,
before they run.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from simgen.errors import SimgenError


@dataclass(frozen=True)
class ExportFormat:
    name: str
    module: str
    summary: str
    function: str = "export"
    multi_camera: bool = False
    multi_animal: bool = False  # exports a dataset of several animals (with identities where the format has them)

    def exporter(self):
        return getattr(importlib.import_module(self.module), self.function)


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "dlc", "simgen.export.dlc", "DeepLabCut project (config.yaml, labeled-data h5/csv, images)",
            multi_animal=True,
        ),
        ExportFormat(
            "sleap", "simgen.export.sleap", "SLEAP labels.slp and self-contained labels.pkg.slp", multi_animal=True
        ),
        ExportFormat(
            "coco", "simgen.export.coco", "COCO keypoints annotations.json (v 0/1/2) and images", multi_animal=True
        ),
        ExportFormat("yolo", "simgen.export.yolo", "Ultralytics YOLO pose dataset (data.yaml, images, labels)",
                     multi_animal=True),
        ExportFormat(
            "lightning-pose", "simgen.export.lightning_pose", "lightning-pose CSV with visible column + config snippet"
        ),
        ExportFormat("nwb", "simgen.export.nwb", "NWB file with ndx-pose training annotations"),
        ExportFormat(
            "anipose", "simgen.export.anipose", "Anipose calibration.toml and per-view 2-D labels", multi_camera=True
        ),
        ExportFormat(
            "dannce",
            "simgen.export.anipose",
            "DANNCE Label3D .mat (MATLAB conventions)",
            function="export_dannce",
            multi_camera=True,
        ),
    )
}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)
MULTI_ANIMAL_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.multi_animal)


def get_format(name: str) -> ExportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise SimgenError(f"unknown export format {name!r}; choices: {', '.join(FORMAT_NAMES)}") from None


def export(
    format: str,
    dataset: Path | str,
    out: Path | str,
    *,
    camera: str | None = None,
    keypoints: str | Path | None = None,
    occluded: str | None = None,
) -> Path:
    """Export a simgen dataset directory to ``out`` (created; must be empty if it exists).

    ``keypoints`` is a keypoint set (bundled name or YAML path) mapping the dataset's
    keypoints to the format's names; None keeps the dataset's own. ``occluded``
    (keep/drop) overrides the format's ``OCCLUDED_DEFAULT``.
    """
    from simgen.dataset import Dataset
    from simgen.export.labels import OCCLUDED_CHOICES

    fmt = get_format(format)
    if occluded is not None and occluded not in OCCLUDED_CHOICES:
        raise SimgenError(f"--occluded must be one of {', '.join(OCCLUDED_CHOICES)}, not {occluded!r}")
    ds = Dataset(dataset)
    if fmt.multi_camera and camera is not None:
        raise SimgenError(f"{fmt.name} uses every camera of the dataset; drop --camera")
    if ds.meta.multi and not fmt.multi_animal:
        raise SimgenError(
            f"{ds.root}: a dataset of several animals ({', '.join(ds.meta.animal_names)}); {fmt.name} exports "
            f"one animal. Formats of several animals: {', '.join(MULTI_ANIMAL_FORMATS)} (docs/export.md)"
        )
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SimgenError(f"{out}: exists and is not an empty folder; choose a new --out")
    if Path(out).resolve().is_relative_to(ds.root.resolve()):
        raise SimgenError(f"{out}: is inside the dataset; export somewhere else")
    from simgen.dataset.writer import output_folder

    with output_folder(out):  # a failed export (a full disk, a bad frame) leaves no folder behind
        return fmt.exporter()(ds, out, camera=camera, keypoint_set=keypoints, occluded=occluded)
