"""Keypoint sets (src/simgen/keypoints.py): loading, validation and mapping."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.assets.mouse import KEYPOINT_NAMES as MOUSE_KEYPOINTS
from simgen.errors import SimgenError
from simgen.keypoints import KeypointSet


def test_bundled_openfield_set_loads_by_name():
    ks = KeypointSet.load("openfield_dlc")
    assert ks.names == ["snout", "leftear", "rightear", "tailbase"]
    assert ks.sources["leftear"] == ("left_ear_base", "left_ear_tip")
    assert ("snout", "leftear") in ks.skeleton
    assert ks.swap_pairs == [("leftear", "rightear")]
    assert ks.swap_indices == [(1, 2)]


def test_map_labels_means_coordinates_and_takes_min_visibility():
    ks = KeypointSet.load("openfield_dlc")
    xyv = np.zeros((len(MOUSE_KEYPOINTS), 3))
    xyv[:, 2] = 2
    ix = {n: i for i, n in enumerate(MOUSE_KEYPOINTS)}
    xyv[ix["left_ear_base"]] = (10, 20, 2)
    xyv[ix["left_ear_tip"]] = (14, 26, 1)
    xyv[ix["snout"]] = (5, 6, 0)
    out = ks.map_labels(MOUSE_KEYPOINTS, np.stack([xyv, xyv]))  # a batch axis passes through
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out[0, 1], (12, 23, 1))
    np.testing.assert_allclose(out[1, 0], (5, 6, 0))


def test_map_points_3d():
    ks = KeypointSet.load("openfield_dlc")
    pts = np.arange(len(MOUSE_KEYPOINTS) * 3, dtype=float).reshape(-1, 3)
    out = ks.map_points(MOUSE_KEYPOINTS, pts)
    ix = MOUSE_KEYPOINTS.index
    np.testing.assert_allclose(out[2], (pts[ix("right_ear_base")] + pts[ix("right_ear_tip")]) / 2)
    np.testing.assert_allclose(out[3], pts[ix("tail_base")])


def test_missing_source_is_a_clear_error():
    ks = KeypointSet.load("openfield_dlc")
    with pytest.raises(SimgenError, match="left_ear_tip"):
        ks.map_labels(["snout", "left_ear_base"], np.zeros((2, 3)))


def test_file_validation_names_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nkeypoints: {a: a}\nskeleton: [[a, b]]\n")
    with pytest.raises(SimgenError, match="skeleton names 'b'"):
        KeypointSet.load(bad)
    extra = tmp_path / "extra.yaml"
    extra.write_text("name: x\nkeypoints: {a: a}\ncolour: red\n")
    with pytest.raises(SimgenError, match="colour"):
        KeypointSet.load(extra)
    with pytest.raises(SimgenError, match="no bundled keypoints config"):
        KeypointSet.load("no_such_set")


def test_identity_keeps_order():
    ks = KeypointSet.identity(["a", "b"], [("a", "b")])
    xyv = np.array([[1.0, 2.0, 2], [3.0, 4.0, 1]])
    np.testing.assert_array_equal(ks.map_labels(["b", "a"], xyv[::-1]), xyv)


def test_default_set_is_the_mouse_set_or_every_keypoint_of_another_animal():
    from simgen.assets.mouse import KEYPOINT_NAMES
    from simgen.render.plan import keypoint_set_for

    mouse = keypoint_set_for("default", KEYPOINT_NAMES)
    assert mouse.names == KeypointSet.load("default").names
    other = keypoint_set_for("default", ["snout", "back", "tail_base"])
    assert other.names == ["snout", "back", "tail_base"] and other.name == "default"


def test_weighted_mean_puts_a_keypoint_part_way_between_its_sources():
    data = {"name": "tail_back", "keypoints": {"snout": "snout",
                                                "tailbase": {"mean": ["tail_base", "tail_q1"], "weights": [3, 1]}}}
    ks = KeypointSet.from_dict(data)
    pts = np.zeros((len(MOUSE_KEYPOINTS), 3))
    ix = MOUSE_KEYPOINTS.index
    pts[ix("tail_base")] = (0.0, 0.0, 0.0)
    pts[ix("tail_q1")] = (4.0, 8.0, 0.0)
    out = ks.map_points(MOUSE_KEYPOINTS, np.stack([pts, pts]))
    np.testing.assert_allclose(out[:, 1], [(1.0, 2.0, 0.0)] * 2)  # a quarter of the way along
    xyv = np.concatenate([pts[:, :2], np.full((len(MOUSE_KEYPOINTS), 1), 2.0)], 1)
    xyv[ix("tail_q1"), 2] = 1
    np.testing.assert_allclose(ks.map_labels(MOUSE_KEYPOINTS, xyv)[1], (1.0, 2.0, 1.0))
    for bad, msg in (([1], "weights has 1 entries"), ([1, 0], "positive")):
        data["keypoints"]["tailbase"]["weights"] = bad
        with pytest.raises(SimgenError, match=msg):
            KeypointSet.from_dict(data)
    # scene/messages' formatter: source, field path, a hint for a misspelled key; one line per error
    with pytest.raises(SimgenError, match=r"\nk.yaml: skeletn: unknown key 'skeletn' \(did you mean 'skeleton'\?\)$"):
        KeypointSet.from_dict({**data, "skeletn": []}, source="k.yaml")


def test_a_bad_mean_in_a_file_is_one_line_on_the_mean_not_expected_text(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nkeypoints:\n  tb: {mean: [tail_base, tail_q1], weights: [1]}\n")
    with pytest.raises(SimgenError) as err:
        KeypointSet.load(bad)
    assert str(err.value).strip().splitlines() == [f"{bad}:3: keypoints.tb: weights has 1 entries but mean names 2"]
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: x\nkeypoints:\n  tb: {mean: [tail_base], wieghts: [1]}\n")
    with pytest.raises(SimgenError) as err:
        KeypointSet.load(typo)
    assert "expected text" not in str(err.value) and "unknown key 'wieghts' (did you mean 'weights'?)" in str(err.value)
    number = tmp_path / "number.yaml"
    number.write_text("name: x\nkeypoints:\n  tb: 5\n")
    with pytest.raises(SimgenError) as err:
        KeypointSet.load(number)
    lines = str(err.value).strip().splitlines()
    assert lines == [f"{number}:3: keypoints.tb: expected text (got 5)",
                     f"{number}:3: keypoints.tb: expected a mapping of keys (got 5)"]
