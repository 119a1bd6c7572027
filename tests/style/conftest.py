import pytest
from style_fixtures import write_dataset, write_real_folder


@pytest.fixture
def tiny_dataset(tmp_path):
    return write_dataset(tmp_path / "raw")


@pytest.fixture
def tiny_real(tmp_path):
    return write_real_folder(tmp_path / "real")
