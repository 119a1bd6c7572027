"""The dataset directory that ``simgen render`` writes and everything later reads.

Layout (docs/dataset-format.md)::

    OUT/dataset.json                      DatasetMeta
    OUT/images/<camera>/<frame:06d>.png   RGB
    OUT/masks/<camera>/<frame:06d>.png    uint8 ids: 0 background, 1 animal (1..A: A animals), then rig parts
    OUT/annotations/<frame:06d>.json      FrameAnnotation, written last and atomically

A frame is complete when its annotation parses and every camera's image exists.
To add a per-frame file kind, add its path to ``Layout`` and check it in ``verify``.
"""

from simgen.dataset.annotation import AnimalLabels, CameraLabel, FrameAnnotation
from simgen.dataset.layout import Layout
from simgen.dataset.meta import DATASET_FORMAT, DATASET_FORMAT_MULTI, CameraInfo, DatasetMeta
from simgen.dataset.reader import Dataset
from simgen.dataset.verify import VerifyReport, verify_dataset
from simgen.dataset.writer import DatasetWriter, atomic_write, atomic_write_bytes, atomic_write_json

__all__ = [
    "DATASET_FORMAT",
    "DATASET_FORMAT_MULTI",
    "AnimalLabels",
    "CameraInfo",
    "CameraLabel",
    "Dataset",
    "DatasetMeta",
    "DatasetWriter",
    "FrameAnnotation",
    "Layout",
    "VerifyReport",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "verify_dataset",
]
