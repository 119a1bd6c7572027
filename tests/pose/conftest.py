"""Fixtures of the pose tests; the toy data generators live in ``pose_toy``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pose_toy import make_toy_images, write_dlc_project


@pytest.fixture
def toy_project(tmp_path: Path):
    """(train project, held-out project, held-out points) of toy blob images."""
    rng = np.random.default_rng(0)
    imgs, pts = make_toy_images(48, rng)
    train = write_dlc_project(tmp_path / "train", imgs[:40], pts[:40])
    test = write_dlc_project(tmp_path / "test", imgs[40:], pts[40:])
    return train, test, pts[40:]
