"""Fixtures for the export tests; the builder lives in ``export_fixtures``."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_fixtures import build_dataset, build_multi_dataset


@pytest.fixture
def dataset_dir(tmp_path) -> Path:
    """Two cameras (top 64x48, side 80x60), four frames, the default mouse's keypoints."""
    return build_dataset(tmp_path / "ds")


@pytest.fixture
def single_camera_dataset(tmp_path) -> Path:
    return build_dataset(tmp_path / "ds1", cameras=("top",))


@pytest.fixture
def edge_dataset(tmp_path) -> Path:
    """Camera ``top`` only, five frames: occluded points, ``tail_tip`` outside the image
    (the mask touches the border there), and frame 2 with the animal out of view."""
    return build_dataset(tmp_path / "edge", cameras=("top",), frames=5, out_of_view=(2,))


@pytest.fixture
def multi_dataset(tmp_path) -> Path:
    """Three animals (mouse0..2) in cameras top (64x48) and side (80x60), four frames; mouse1
    is out of view in frame 1, every animal in frame 3 (an image without animals)."""
    return build_multi_dataset(tmp_path / "multi", out_of_view={1: (1,), 3: (0, 1, 2)})
