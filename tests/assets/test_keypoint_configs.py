"""The keypoint-set files shipped for the default mouse (format in docs/mouse.md)."""

import yaml

from simgen.assets.mouse import KEYPOINT_NAMES
from simgen.resources import config_path


def _load(name):
    return yaml.safe_load(config_path("keypoints", name).read_text())


def _sources(spec):
    return spec["mean"] if isinstance(spec, dict) else [spec]


def test_default_set_is_every_keypoint_with_edges_and_swaps():
    doc = _load("default")
    assert doc["name"] == "default"
    assert list(doc["keypoints"]) == KEYPOINT_NAMES
    assert all(k == v for k, v in doc["keypoints"].items())
    names = set(KEYPOINT_NAMES)
    assert all(a in names and b in names for a, b in doc["skeleton"])
    # every keypoint is connected to the skeleton graph
    assert {n for e in doc["skeleton"] for n in e} == names
    left = sorted(n for n in KEYPOINT_NAMES if n.startswith("left_"))
    assert sorted(a for a, _ in doc["swap_pairs"]) == left
    assert all(b == "right_" + a[5:] for a, b in doc["swap_pairs"])


def test_openfield_dlc_set_maps_to_default_keypoints():
    doc = _load("openfield_dlc")
    assert list(doc["keypoints"]) == ["snout", "leftear", "rightear", "tailbase"]
    for spec in doc["keypoints"].values():
        assert set(_sources(spec)) <= set(KEYPOINT_NAMES)
    outs = set(doc["keypoints"])
    assert all(a in outs and b in outs for a, b in doc["skeleton"] + doc["swap_pairs"])
