"""Fixtures for the render tests (helpers live in render_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_helpers import build_toy_animal


@pytest.fixture(scope="session")
def toy_animal_dir(tmp_path_factory) -> Path:
    return build_toy_animal(tmp_path_factory.mktemp("toy_animal"))


@pytest.fixture(scope="session")
def toy_animal(toy_animal_dir):
    from simgen.assets.animal_asset import AnimalAsset

    return AnimalAsset.load(toy_animal_dir)
