"""Fixtures for the export tests; the builder lives in ``export_fixtures``."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_fixtures import build_dataset


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
