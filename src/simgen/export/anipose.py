"""Multi-camera exports: Anipose (calibration + per-view 2-D labels) and DANNCE's
Label3D ``.mat``. Written by us: sleap-io has neither.

Anipose layout::

    OUT/calibration/calibration.toml     aniposelib CameraGroup.load reads it
    OUT/pose-2d/simgen-<camera>.h5/.csv  per view, DeepLabCut prediction layout
    OUT/pose-3d/ground_truth.csv         the 3-D keypoints, <name>_x/_y/_z (mm)
    OUT/config.toml                      cam_regex matching the file names

``calibration.toml`` has one table per camera (name, size [w, h], matrix K,
distortions: the annotation's ``dist`` or [0]*5, rotation as a Rodrigues vector, translation) plus ``metadata``.
aniposelib sorts the table keys as strings, so they are ``cam_0..`` zero-padded
(``cam_00`` .. ``cam_11``) to keep the dataset's camera order. Extrinsics are
world -> camera (OpenCV, ``x_cam = R X + t``) in millimeters, the unit Anipose
calibration boards use. 2-D coordinates: OpenCV/simgen (pixel centers at integer
coordinates, origin at the center of the top-left pixel). Per-view files have coords
x, y, likelihood: 1 for labeled points, 0 with NaN for points outside the image or
occluded with ``--occluded drop``; kept occluded points (the default) have likelihood 1.

DANNCE (``OUT/<name>_Label3D_dannce.mat``): ``camnames``, and per camera ``params``
(K, r, t, RDistort, TDistort) and ``labelData`` (data_2d, data_3d, data_frame,
data_sampleID). MATLAB conventions: row vectors, so ``K`` and ``r`` are the
transposes of OpenCV's (``[u v w] = ([X Y Z] r + t) K``), and pixel coordinates are
1-based (the top-left pixel's center is (1, 1)): the principal point and data_2d are
shifted by +1. Units: millimeters. Unlabeled 2-D points are NaN.

The rig must not move between frames (a calibration is one K, R, t per camera).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.errors import SimgenError
from simgen.export.labels import apply_occluded, resolve_keypoint_set

# Anipose and DANNCE triangulate labeled points; an occluded point's true position
# is still the right target, so both keep it unless --occluded drop.
OCCLUDED_DEFAULT = "keep"

MM_PER_M = 1000.0
MATLAB_PIXEL_OFFSET = 1.0


def _load(dataset, camera, keypoint_set, occluded):
    from simgen.dataset import Dataset

    if camera is not None:
        raise SimgenError("multi-camera formats use every camera of the dataset; drop --camera")
    ds = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
    if ds.meta.multi:  # the registry refuses first; this guards direct calls
        raise SimgenError(f"{ds.root}: a dataset of several animals ({', '.join(ds.meta.animal_names)}); "
                          "Anipose and DANNCE exports take one animal")
    if len(ds.meta.cameras) < 2:
        raise SimgenError(f"{ds.root}: multi-camera export needs at least two cameras")
    kset = resolve_keypoint_set(keypoint_set, ds.meta)
    frames = ds.sound_frames()
    if not frames:
        raise SimgenError(f"{ds.root}: no complete frames to export")
    anns = [ds.annotation(f) for f in frames]
    cams = {}
    for c in ds.meta.camera_names:
        first = anns[0].cameras[c]
        for a in anns[1:]:
            lab = a.cameras[c]
            if not (np.allclose(lab.K, first.K) and np.allclose(lab.R, first.R) and np.allclose(lab.t, first.t)):
                raise SimgenError(
                    f"camera {c!r} moves between frames ({a.frame} differs from {anns[0].frame}); "
                    "a calibration needs a fixed rig: render without camera jitter"
                )
        cams[c] = first
    xyv = {
        c: apply_occluded(kset.map_labels(ds.keypoints, np.stack([a.animals[0].cameras[c].keypoints for a in anns])),
                          occluded)
        for c in cams
    }
    for v in xyv.values():
        v[v[..., 2] == 0, :2] = np.nan
    X = kset.map_points(ds.keypoints, np.stack([a.animals[0].keypoints_3d for a in anns]))
    return ds, kset, frames, cams, xyv, X


def camera_keys(n: int) -> list[str]:
    width = len(str(n - 1))
    return [f"cam_{i:0{width}d}" for i in range(n)]


def calibration_dict(cams: dict) -> dict:
    from scipy.spatial.transform import Rotation

    out = {}
    for key, (name, lab) in zip(camera_keys(len(cams)), cams.items()):
        out[key] = {
            "name": name,
            "size": [int(lab.width), int(lab.height)],
            "matrix": np.asarray(lab.K, float).tolist(),
            "distortions": [0.0] * 5 if lab.dist is None else np.asarray(lab.dist, float).tolist(),  # issue 13
            "rotation": Rotation.from_matrix(lab.R).as_rotvec().tolist(),
            "translation": (np.asarray(lab.t, float) * MM_PER_M).tolist(),
        }
    out["metadata"] = {"adjusted": False, "error": 0.0, "units": "mm", "source": "simgen"}
    return out


def write_anipose(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    import pandas as pd
    import tomli_w

    ds, kset, frames, cams, xyv, X = _load(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT)
    bad = [c for c in cams if "-" in c]
    if bad:
        raise SimgenError(f"camera names {bad} contain '-', which Anipose's file-name regex splits on")
    out = Path(out)
    (out / "calibration").mkdir(parents=True, exist_ok=True)
    calib = out / "calibration" / "calibration.toml"
    calib.write_bytes(tomli_w.dumps(calibration_dict(cams)).encode())
    pose2d = out / "pose-2d"
    pose2d.mkdir(parents=True, exist_ok=True)
    columns = pd.MultiIndex.from_tuples(
        [("simgen", n, c) for n in kset.names for c in ("x", "y", "likelihood")],
        names=["scorer", "bodyparts", "coords"],
    )
    for c, arr in xyv.items():
        data = arr.copy()
        data[..., 2] = (arr[..., 2] > 0).astype(float)
        df = pd.DataFrame(data.reshape(len(frames), -1), index=frames, columns=columns)
        df.to_hdf(pose2d / f"simgen-{c}.h5", key="df_with_missing", mode="w")
        df.to_csv(pose2d / f"simgen-{c}.csv")
    (out / "pose-3d").mkdir(parents=True, exist_ok=True)
    gt = {"fnum": frames}
    for k, n in enumerate(kset.names):
        for a, axis in enumerate("xyz"):
            gt[f"{n}_{axis}"] = X[:, k, a] * MM_PER_M
    pd.DataFrame(gt).to_csv(out / "pose-3d" / "ground_truth.csv", index=False)
    config = {
        "project": ds.root.name,
        "nesting": 1,
        "pipeline": {"pose_2d": "pose-2d", "calibration_results": "calibration", "pose_3d": "pose-3d"},
        "triangulation": {"triangulate": True, "cam_regex": "-([^-]+)$", "axes": []},
        "labeling": {"bodyparts": kset.names, "scheme": [list(e) for e in kset.skeleton]},
    }
    (out / "config.toml").write_bytes(tomli_w.dumps(config).encode())
    return calib


def write_dannce(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    from scipy.io import savemat

    ds, kset, frames, cams, xyv, X = _load(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT)
    n, k = X.shape[:2]
    frame_col = np.asarray(frames, dtype=float)[:, None]
    params, label_data = [], []
    for c, lab in cams.items():
        K = np.asarray(lab.K, float).copy()
        K[:2, 2] += MATLAB_PIXEL_OFFSET
        params.append({
            "K": K.T,
            "r": np.asarray(lab.R, float).T,
            "t": (np.asarray(lab.t, float) * MM_PER_M)[None, :],
            # issue 13: MATLAB's radial [k1 k2] and tangential [p1 p2] are OpenCV's
            "RDistort": np.zeros((1, 2)) if lab.dist is None else np.asarray(lab.dist, float)[None, :2],
            "TDistort": np.zeros((1, 2)) if lab.dist is None else np.asarray(lab.dist, float)[None, 2:4],
        })
        d2 = xyv[c][..., :2] + MATLAB_PIXEL_OFFSET  # NaN stays NaN
        label_data.append({
            "data_2d": d2.reshape(n, 2 * k),
            "data_3d": (X * MM_PER_M).reshape(n, 3 * k),
            "data_frame": frame_col,
            "data_sampleID": frame_col.copy(),
        })
    cell = lambda items: np.array([[x] for x in items], dtype=object)  # noqa: E731  (C x 1 MATLAB cell)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{ds.root.name}_Label3D_dannce.mat"
    savemat(
        path,
        {
            "camnames": np.array([list(cams)], dtype=object),
            "params": cell(params),
            "labelData": cell(label_data),
            "sync": cell(label_data),
            "keypoint_names": np.array([kset.names], dtype=object),
        },
    )
    return path


export = write_anipose
export_dannce = write_dannce
