"""NWB: ``OUT/labels.nwb``, training annotations in ndx-pose's ``PoseTraining``, written
through sleap-io (``save_nwb(..., nwb_format="annotations")``).

The images stay where they are: the NWB ``ImageSeries`` lists them as external files
(absolute paths). Read it back with pynwb + ndx-pose; sleap-io 0.9.5's NWB *reader*
fails on such multi-file image series (it passes the file list to
``Video.from_filename`` as one name), so we do not use it for the round trip.

Coordinates: ndx-pose documents SLEAP's convention, which is simgen's: the midpoint of
the top-left pixel is (0, 0). Visibility: ``node_visibility`` per point. sleap-io's
NWB writer turns every not-visible point into NaN, so a kept occluded keypoint (the
default, ``keep``) is written with its location and True; with ``--occluded drop``
it is NaN and False, like keypoints outside the image. A frame with no labeled
keypoint (the animal out of view) has no training frame.
"""

from __future__ import annotations

from pathlib import Path

from simgen.errors import SimgenError
from simgen.export.labels import PoseLabels, from_dataset
from simgen.export.sleap import to_sleap


def write_nwb(labels: PoseLabels, out: Path, stem: str = "labels") -> Path:
    import sleap_io as sio  # heavy: pynwb, hdmf

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}.nwb"
    try:
        sio.save_nwb(to_sleap(labels, occluded_visible=True), str(path), nwb_format="annotations")
    except ImportError as exc:
        raise SimgenError(f"NWB export needs pynwb and ndx-pose ({exc})") from None
    return path


def read_nwb_points(path: Path):
    """(xy (N, K, 2), visible (N, K), node names) from an exported file, via pynwb."""
    import ndx_pose  # noqa: F401  (registers the extension's types with pynwb)
    import numpy as np
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        training = nwb.processing["behavior"]["PoseTraining"]
        frames = training.training_frames.training_frames
        order = sorted(frames, key=lambda k: frames[k].source_video_frame_index)
        xy, vis, names = [], [], None
        for key in order:
            inst = next(iter(frames[key].skeleton_instances.skeleton_instances.values()))
            names = list(inst.skeleton.nodes[:])
            xy.append(np.asarray(inst.node_locations[:], dtype=float))
            vis.append(np.asarray(inst.node_visibility[:], dtype=bool))
    return np.stack(xy), np.stack(vis), names


OCCLUDED_DEFAULT = "keep"


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    return write_nwb(from_dataset(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT), out)
