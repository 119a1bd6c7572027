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
