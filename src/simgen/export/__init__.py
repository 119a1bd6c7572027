"""Exports a simgen dataset to the formats pose tools read, and imports their labels.

- ``registry``: the list of formats (drives ``simgen export --format``) and ``export()``.
- ``labels``: ``PoseLabels`` (images + (N, K, 3) x, y, v), ``from_dataset``,
  ``AnimalsLabels`` and ``animals_from_dataset`` (several animals), ``read_dlc``, ``read_sleap``.
- one module per format: ``dlc``, ``sleap``, ``coco``, ``yolo``, ``lightning_pose``,
  ``nwb``, ``anipose`` (Anipose and DANNCE). Each docstring states its conventions.

Nothing heavy is imported here; exporters import sleap-io/pandas when they run.
"""

from simgen.export.labels import (
    AnimalsLabels,
    PoseLabels,
    VideoFrame,
    animals_from_dataset,
    from_dataset,
    read_dlc,
    read_sleap,
)
from simgen.export.registry import FORMAT_NAMES, FORMATS, export

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "AnimalsLabels",
    "PoseLabels",
    "VideoFrame",
    "animals_from_dataset",
    "export",
    "from_dataset",
    "read_dlc",
    "read_sleap",
]
