"""Multi-camera exports: Anipose calibration + per-view labels, DANNCE Label3D .mat."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels
from scipy.io import loadmat
from scipy.spatial.transform import Rotation

from simgen.errors import SimgenError
from simgen.export.anipose import camera_keys
from simgen.export.registry import export


def _project(K, R, t, X):
    xc = X @ R.T + t
    uv = xc @ K.T
    return uv[..., :2] / uv[..., 2:3]


@pytest.mark.parametrize("occluded", ["keep", "drop"])
def test_anipose_calibration_reprojects_the_labels(dataset_dir, tmp_path, occluded):
    calib = export("anipose", dataset_dir, tmp_path / "a", keypoints="openfield_dlc", occluded=occluded)
    data = tomllib.loads(calib.read_text())
    # aniposelib: keys sorted as strings, metadata skipped
    cams = [data[k] for k in sorted(data) if k != "metadata"]
    assert [c["name"] for c in cams] == ["top", "side"]
    assert cams[0]["size"] == [64, 48] and cams[1]["size"] == [80, 60]
    gt = pd.read_csv(tmp_path / "a" / "pose-3d" / "ground_truth.csv")
    names = list(OPENFIELD)
    X_mm = np.stack([gt[[f"{n}_x", f"{n}_y", f"{n}_z"]].to_numpy() for n in names], axis=1)
    for cam in cams:
        name = cam["name"]
        K = np.asarray(cam["matrix"])
        R = Rotation.from_rotvec(cam["rotation"]).as_matrix()
        t = np.asarray(cam["translation"])
        assert cam["distortions"] == [0.0] * 5
        _, exp = expected_labels(dataset_dir, name, occluded, OPENFIELD)
        # The per-view file, read as Anipose reads it.
        df = pd.read_hdf(tmp_path / "a" / "pose-2d" / f"simgen-{name}.h5")
        scorer = df.columns.levels[0][0]
        df = df.loc[:, scorer]
        xy = np.stack([df.loc[:, (n, ("x", "y"))].to_numpy() for n in names], axis=1)
        score = np.stack([df.loc[:, (n, "likelihood")].to_numpy() for n in names], axis=1)
        assert_xy_equal(xy, exp[..., :2])
        np.testing.assert_array_equal(score, (exp[..., 2] > 0).astype(float))
        # Mean keypoints are means of projections, not projections of means, so compare
        # the calibration with unmapped keypoints: every labeled point reprojects exactly.
        ann = json.loads((dataset_dir / "annotations/000001.json").read_text())
        X = np.asarray(ann["keypoints_3d"]) * 1000.0
        uv = np.asarray(ann["cameras"][name]["keypoints"])[:, :2]
        assert np.abs(_project(K, R, t, X) - uv).max() < 1e-4
        # single-source mapped points (snout, tailbase) reproject from the ground-truth csv
        for k in (0, 3):
            lab = exp[:, k, 2] > 0
            assert np.abs(_project(K, R, t, X_mm[lab, k]) - exp[lab, k, :2]).max() < 1e-4
    config = tomllib.loads((tmp_path / "a" / "config.toml").read_text())
    assert config["triangulation"]["cam_regex"] == "-([^-]+)$"


def test_camera_keys_sort_as_strings_in_order():
    keys = camera_keys(12)
    assert sorted(keys) == keys and keys[0] == "cam_00" and keys[-1] == "cam_11"
    assert camera_keys(3) == ["cam_0", "cam_1", "cam_2"]


def test_multi_camera_formats_refuse_one_camera(dataset_dir, single_camera_dataset, tmp_path):
    with pytest.raises(SimgenError, match="at least two cameras"):
        export("anipose", single_camera_dataset, tmp_path / "a")
    with pytest.raises(SimgenError, match="drop --camera"):
        export("anipose", dataset_dir, tmp_path / "b", camera="top")


def test_dannce_mat_matlab_conventions(dataset_dir, tmp_path):
    path = export("dannce", dataset_dir, tmp_path / "d")
    m = loadmat(path)
    camnames = [str(c[0]) for c in m["camnames"][0]]
    assert camnames == ["top", "side"]
    params = [m["params"][i][0] for i in range(len(camnames))]  # how DANNCE loads them
    labels = [m["labelData"][i][0] for i in range(len(camnames))]
    for name, p, lab in zip(camnames, params, labels):
        K, r, t = p["K"][0, 0], p["r"][0, 0], p["t"][0, 0]
        assert K[2, 0] > 1 and K[0, 2] == 0  # transposed: principal point in the last row
        d2, d3 = lab["data_2d"][0, 0], lab["data_3d"][0, 0]
        n = d2.shape[0]
        X = d3.reshape(n, -1, 3)
        # MATLAB row-vector projection: [u v w] = ([X Y Z] r + t) K
        proj = (X @ r + t) @ K
        uv = proj[..., :2] / proj[..., 2:3]
        _, exp = expected_labels(dataset_dir, name)
        got = d2.reshape(n, -1, 2)
        assert_xy_equal(got - 1.0, exp[..., :2])  # 1-based pixels
        lab_ok = exp[..., 2] > 0
        assert np.abs(uv[lab_ok] - got[lab_ok]).max() < 1e-4
        np.testing.assert_array_equal(lab["data_frame"][0, 0].ravel(), [0, 1, 2, 3])
