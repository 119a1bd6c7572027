"""SLEAP: ``OUT/labels.pkg.slp`` (images embedded: the self-contained file to train
from) and ``OUT/labels.slp`` with ``OUT/images/<image>.png`` (images referenced).
Written through sleap-io.

Image paths in ``labels.slp`` are relative to its folder (``images/img000017.png``),
so OUT can move as a whole. sleap-io (0.9.5) opens an image list relative to the
working directory, not to the file: load it from OUT, or after loading call
``labels.replace_filenames(prefix_map={"images": f"{OUT}/images"})``;
``simgen.export.read_sleap`` resolves them against the file's folder itself. The
``.pkg.slp`` has no such dependency.

Coordinates: SLEAP's since format 1.1 are simgen's (pixel centers at integer
coordinates, origin at the center of the top-left pixel), so they pass unchanged.
Visibility: SLEAP has one flag per point and trains only on visible ones. Visible
keypoints are ``visible=True``. Occluded ones keep their coordinates and are marked
``visible=False`` (``OCCLUDED_DEFAULT = "keep"``), as SLEAP's GUI stores a point its
labeler marks not visible; with ``--occluded drop`` they are NaN. Keypoints outside
the image are NaN, not visible. A frame with no labeled keypoint (the animal out of
view) gets no instance and no labeled frame (its image stays in ``labels.slp``'s
image list): SLEAP would otherwise keep an empty user instance.

Several animals: one user instance per animal in view (some keypoint labeled), each with
the animal's ``Track`` (named as in dataset.json, one ``Track`` object per animal shared by
all frames, listed in ``labels.tracks`` in dataset.json's order), so identities hold
across frames; SLEAP's ID models ("multi-class") learn these track names as classes. A
frame where no animal is in view gets no labeled frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.export.dlc import copy_images, image_names
from simgen.export.labels import AnimalsLabels, PoseLabels, labels_for_export

OCCLUDED_DEFAULT = "keep"  # kept as SLEAP keeps them: coordinates, visible=False
IMAGES_DIR = "images"


def to_sleap(
    labels: PoseLabels | AnimalsLabels,
    image_paths: list[Path] | None = None,
    name: str = "simgen",
    occluded_visible: bool = False,
):
    """A ``sleap_io.Labels``: one image-list video, one user instance per animal and image
    in which some keypoint of it is labeled (v > 0); v=1 points keep their coordinates and
    are not visible (or visible, with ``occluded_visible``). ``AnimalsLabels`` give each
    animal's instances its ``Track``."""
    import sleap_io as sio  # heavy; only exporters need it

    group = labels if isinstance(labels, AnimalsLabels) else None
    animals = group.animals if group else [labels]
    first = animals[0]
    skeleton = sio.Skeleton(
        list(first.keypoints),
        edges=[list(e) for e in first.skeleton],
        symmetries=[list(p) for p in first.swap_pairs],
        name=name,
    )
    tracks = [sio.Track(n) for n in group.names] if group else [None]
    paths = [str(Path(p).resolve()) for p in (image_paths or first.images)]
    video = sio.Video.from_filename(paths)
    frames = []
    for i in range(len(first)):
        instances = []
        for animal, track in zip(animals, tracks, strict=True):
            v = animal.xyv[i, :, 2]
            if not (v > 0).any():
                continue  # the animal is out of view: no instance
            pts = np.column_stack([animal.xy[i], v >= (1 if occluded_visible else 2)])  # x, y, visible
            instances.append(sio.Instance.from_numpy(pts, skeleton=skeleton, track=track))
        if instances:
            frames.append(sio.LabeledFrame(video=video, frame_idx=i, instances=instances))
    return sio.Labels(frames, videos=[video], skeletons=[skeleton], tracks=[t for t in tracks if t is not None])


def write_sleap(labels: PoseLabels | AnimalsLabels, out: Path, stem: str = "labels") -> Path:
    """Write ``stem.pkg.slp``, ``stem.slp`` and ``images/`` in ``out``; returns the .slp path."""
    out = Path(out)
    first = labels.first if isinstance(labels, AnimalsLabels) else labels
    names = image_names(first)
    copy_images(first, out / IMAGES_DIR, names)
    sl = to_sleap(labels, [out / IMAGES_DIR / n for n in names])
    sl.save(str(out / f"{stem}.pkg.slp"), embed="user", verbose=False)
    _relink_relative(sl.videos[0], [f"{IMAGES_DIR}/{n}" for n in names])
    slp = out / f"{stem}.slp"
    sl.save(str(slp), verbose=False)
    return slp


def _relink_relative(video, names: list[str]) -> None:
    """Point an image-list video at relative names without opening them.

    sleap-io serializes an open image list from its backend's (absolute) names; a
    closed video is serialized from ``backend_metadata``, so close it and write the
    ImageVideo record sleap-io would write, with the relative names.
    """
    shape = list(video.shape)
    video.close()
    video.filename = names
    video.backend_metadata = {
        "type": "ImageVideo",
        "shape": shape,
        "filename": names[0],
        "filenames": names,
        "height_": shape[1],
        "width_": shape[2],
        "channels_": shape[3],
        "grayscale": shape[3] == 1,
        "fps": None,
    }


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    return write_sleap(labels_for_export(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT), out)
