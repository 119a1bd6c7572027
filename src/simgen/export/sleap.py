"""SLEAP: ``OUT/labels.slp`` (images referenced in place) and ``OUT/labels.pkg.slp``
(images embedded, portable). Written through sleap-io.

Coordinates: SLEAP's since format 1.1 are simgen's (pixel centers at integer
coordinates, origin at the center of the top-left pixel), so they pass unchanged.
Visibility: SLEAP has one flag per point. Visible and kept-occluded keypoints are
labeled (``visible=True``); keypoints outside the image, and occluded ones with
``--occluded drop``, are unlabeled (``visible=False``, NaN).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.export.labels import PoseLabels, from_dataset


def to_sleap(labels: PoseLabels, name: str = "simgen"):
    """A ``sleap_io.Labels`` with one image-list video and one user instance per image."""
    import sleap_io as sio  # heavy; only exporters need it

    skeleton = sio.Skeleton(
        list(labels.keypoints),
        edges=[list(e) for e in labels.skeleton],
        symmetries=[list(p) for p in labels.swap_pairs],
        name=name,
    )
    paths = [str(Path(p).resolve()) for p in labels.images]
    video = sio.Video.from_filename(paths)
    frames = []
    for i in range(len(labels)):
        xy = labels.xy[i].copy()
        xy[labels.xyv[i, :, 2] == 0] = np.nan  # Instance.from_numpy: NaN means not visible
        inst = sio.Instance.from_numpy(xy, skeleton=skeleton)
        frames.append(sio.LabeledFrame(video=video, frame_idx=i, instances=[inst]))
    return sio.Labels(frames)


def write_sleap(labels: PoseLabels, out: Path, stem: str = "labels") -> Path:
    """Write ``stem.slp`` and ``stem.pkg.slp`` in ``out``; returns the .slp path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sl = to_sleap(labels)
    slp = out / f"{stem}.slp"
    sl.save(str(slp), verbose=False)
    sl.save(str(out / f"{stem}.pkg.slp"), embed="user", verbose=False)
    return slp


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded="keep") -> Path:
    return write_sleap(from_dataset(dataset, camera, keypoint_set, occluded), out)
