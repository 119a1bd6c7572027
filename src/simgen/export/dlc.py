"""DeepLabCut: a complete project folder, single-animal or multi-animal (maDLC).

Written by us, not sleap-io: sleap-io's DeepLabCut writer fails for image-list videos
(the kind a simgen dataset is), and DeepLabCut needs its config.yaml besides.

Layout::

    OUT/config.yaml
    OUT/labeled-data/<set>/img<frame:06d>.png             copies of the dataset's images
    OUT/labeled-data/<set>/CollectedData_<scorer>.h5      key 'df_with_missing'
    OUT/labeled-data/<set>/CollectedData_<scorer>.csv
    OUT/videos/<set>.mp4                                  the same images as a video

The tables have pandas MultiIndex columns ``scorer / bodyparts / coords`` (x, y) and
the tuple row index ``('labeled-data', set, image)`` DeepLabCut >= 2.2 writes.
``video_sets`` names ``OUT/videos/<set>.mp4`` (absolute, as ``create_new_project``
writes it) with crop ``0, w, 0, h``: a real MPEG-4 file (OpenCV ``mp4v``) whose frame
k is the k-th exported image, so DeepLabCut's video functions (``VideoReader``,
frame extraction, ``analyze_videos``) open it, and ``create_training_dataset`` finds
``labeled-data/<set>`` from its stem. Image numbers are the dataset's frame numbers,
which equal the video frame index when the dataset's frames run 0..N-1 (the usual case).

Coordinates: DeepLabCut's, which are simgen's: pixel centers at integer coordinates,
origin at the center of the top-left pixel. DeepLabCut has no visibility flag: every
labeled point is trained as visible. So, following DeepLabCut's labeling guide
(occluded points are left unlabeled), the default drops occluded points to NaN
(``OCCLUDED_DEFAULT = "drop"``); ``--occluded keep`` writes their coordinates, which
DeepLabCut then trains as visible. A keypoint outside the image is NaN; a frame with
the animal out of view is a row of NaN, as DeepLabCut writes a frame left unlabeled.

Several animals (a ``simgen-dataset/1.1`` dataset): a multi-animal project as DeepLabCut
3.0's ``create_new_project(multianimal=True)`` writes it, with ``multianimalproject:
true``, ``individuals`` (the dataset's animal names, in its order), ``multianimalbodyparts``
(the keypoints), ``uniquebodyparts: []``, ``bodyparts: MULTI!`` (DeepLabCut's sentinel),
``identity: true`` (the labels keep each animal's identity in every frame; DeepLabCut then
also trains an identity head, which can only learn to tell animals apart that look
different) and ``default_track_method: ellipse``. The tables' columns are ``scorer /
individuals / bodyparts / coords``, individuals in ``individuals`` order, as
``create_multianimaltraining_dataset`` reshapes them. Occluded points and points outside
the image are NaN as above, per animal; an animal out of view is NaN in that row.
"""

from __future__ import annotations

import re
import shutil
from datetime import date as _date
from pathlib import Path

import numpy as np

from simgen.dataset.writer import atomic_write
from simgen.errors import SimgenError
from simgen.export.labels import AnimalsLabels, PoseLabels, labels_for_export

DLC_H5_KEY = "df_with_missing"
OCCLUDED_DEFAULT = "drop"  # DeepLabCut's guide: occluded points stay unlabeled
VIDEO_FPS = 30


def set_name_for(text: str) -> str:
    """A file-system- and YAML-safe labeled-data folder name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")
    return name or "simgen"


def coords_table(
    data,
    keypoints: list[str],
    scorer: str,
    index,
    coords: tuple[str, ...] = ("x", "y"),
    individuals: list[str] | None = None,
):
    """A DeepLabCut-style DataFrame: columns scorer / bodyparts / coords, ``data`` (N, K,
    len(coords)); with ``individuals``, scorer / individuals / bodyparts / coords and ``data``
    (N, A, K, len(coords))."""
    import pandas as pd

    if individuals is None:
        columns = pd.MultiIndex.from_tuples(
            [(scorer, bp, c) for bp in keypoints for c in coords],
            names=["scorer", "bodyparts", "coords"],
        )
    else:
        columns = pd.MultiIndex.from_tuples(
            [(scorer, ind, bp, c) for ind in individuals for bp in keypoints for c in coords],
            names=["scorer", "individuals", "bodyparts", "coords"],
        )
    return pd.DataFrame(np.asarray(data).reshape(len(index), -1), index=index, columns=columns, dtype=float)


def label_table(labels: PoseLabels | AnimalsLabels, scorer: str, index, visible_column: bool = False):
    """The DeepLabCut label DataFrame (coords x, y[, visible]) for ``labels``; several
    animals get the individuals level."""
    coords = ("x", "y", "visible") if visible_column else ("x", "y")
    if isinstance(labels, AnimalsLabels):
        data = labels.xyv if visible_column else labels.xyv[..., :2]
        return coords_table(data, labels.first.keypoints, scorer, index, coords, individuals=list(labels.names))
    return coords_table(labels.xyv if visible_column else labels.xy, labels.keypoints, scorer, index, coords)


def copy_images(labels: PoseLabels, folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        src = labels.images[i]
        if isinstance(src, Path):
            shutil.copyfile(src, folder / name)
        else:  # a video frame: decode and write it as PNG
            from PIL import Image

            with atomic_write(folder / name, suffix=Path(name).suffix) as tmp:  # errors name the file
                Image.fromarray(labels.load_image(i)).save(tmp)


def max_size(labels: PoseLabels) -> tuple[int, int]:
    """(width, height) big enough for every image."""
    sizes = np.array([labels.size(i) for i in range(len(labels))])
    return int(sizes[:, 0].max()), int(sizes[:, 1].max())


def image_names(labels: PoseLabels) -> list[str]:
    if labels.frames is not None:
        return [f"img{f:06d}.png" for f in labels.frames]
    return [f"img{i:06d}.png" for i in range(len(labels))]


def write_video(labels: PoseLabels, path: Path, size: tuple[int, int], fps: int = VIDEO_FPS) -> Path:
    """The images as an MPEG-4 video (OpenCV ``mp4v``); smaller frames are padded black."""
    from simgen.video import opencv

    cv2 = opencv()  # heavy; only this exporter needs it (FFmpeg quiet: the check below may open a broken file)

    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise SimgenError(f"{path}: OpenCV cannot write an mp4v video here")
    try:
        for i in range(len(labels)):
            img = labels.load_image(i)
            frame = np.zeros((h, w, 3), np.uint8)
            frame[: img.shape[0], : img.shape[1]] = img[:h, :w]
            writer.write(np.ascontiguousarray(frame[..., ::-1]))  # OpenCV wants BGR
    finally:
        writer.release()
    from simgen.dataset.writer import check_video_written

    check_video_written(path, len(labels))
    return path


def write_config(
    project: Path,
    *,
    task: str,
    scorer: str,
    day: str,
    video: Path,
    bodyparts: list[str],
    skeleton: list[tuple[str, str]],
    size: tuple[int, int],
    individuals: list[str] | None = None,
    numframes2pick: int = 20,
    written_by: str = "simgen export (synthetic labels)",
) -> Path:
    """``project/config.yaml`` (atomically), as DeepLabCut 3.0's ``create_new_project`` writes
    one (pytorch engine); with ``individuals``, a multi-animal project, identities kept. The one
    config writer: ``simgen export dlc`` and ``simgen suggest`` both call it."""
    import yaml

    from simgen.dataset.writer import atomic_write_text

    w, h = size
    multi = individuals is not None
    cfg = {
        "Task": task,
        "scorer": scorer,
        "date": day,
        "multianimalproject": multi,
        "identity": True if multi else None,
        "project_path": str(project.resolve()),
        "engine": "pytorch",
        "video_sets": {str(video.resolve()): {"crop": f"0, {w}, 0, {h}"}},
        "bodyparts": "MULTI!" if multi else list(bodyparts),
        **({"individuals": list(individuals), "uniquebodyparts": [], "multianimalbodyparts": list(bodyparts)}
           if multi else {}),
        "start": 0,
        "stop": 1,
        "numframes2pick": numframes2pick,
        "skeleton": [list(e) for e in skeleton],
        "skeleton_color": "black",
        "pcutoff": 0.6,
        "dotsize": 8,
        "alphavalue": 0.7,
        "colormap": "rainbow",
        "TrainingFraction": [0.95],
        "iteration": 0,
        "default_net_type": "resnet_50",
        "default_augmenter": "albumentations" if multi else "default",
        **({"default_track_method": "ellipse"} if multi else {}),
        "snapshotindex": -1,
        "detector_snapshotindex": -1,
        "batch_size": 8,
        "detector_batch_size": 1,
        "cropping": False,
        "x1": 0,
        "x2": w,
        "y1": 0,
        "y2": h,
        "corner2move2": [50, 50],
        "move2corner": True,
        "SuperAnimalConversionTables": None,
    }
    header = f"# DeepLabCut project written by {written_by}\n"
    path = Path(project) / "config.yaml"
    atomic_write_text(path, header + yaml.safe_dump(cfg, sort_keys=False, default_flow_style=False))
    return path


def write_dlc(
    labels: PoseLabels | AnimalsLabels,
    out: Path,
    *,
    task: str = "simgen",
    scorer: str = "simgen",
    set_name: str = "simgen",
    day: str | None = None,
) -> Path:
    """Write ``labels`` as a DeepLabCut project in ``out``; returns config.yaml's path.
    ``AnimalsLabels`` (several animals) make a multi-animal project."""
    import pandas as pd

    out = Path(out)
    multi = isinstance(labels, AnimalsLabels)
    individuals = list(labels.names) if multi else None
    reserved = [n for n in individuals or [] if "single" in n]
    if reserved:
        # create_multianimaltraining_dataset takes every individual whose name *contains*
        # "single" for the holder of unique body parts
        raise SimgenError(f"animal names {reserved} contain 'single', which DeepLabCut reserves for unique "
                          "body parts; rename the animals in the scene")
    table_labels = labels
    labels = labels.first if multi else labels  # images, sizes, keypoints, skeleton: shared
    set_name = set_name_for(set_name)
    scorer = set_name_for(scorer)
    folder = out / "labeled-data" / set_name
    names = image_names(labels)
    copy_images(labels, folder, names)
    index = pd.MultiIndex.from_tuples([("labeled-data", set_name, n) for n in names])
    df = label_table(table_labels, scorer, index)
    h5 = folder / f"CollectedData_{scorer}.h5"
    try:
        df.to_hdf(h5, key=DLC_H5_KEY, mode="w")
    except ImportError as exc:
        raise SimgenError(f"writing DeepLabCut .h5 needs PyTables: pip install tables ({exc})") from None
    df.to_csv(h5.with_suffix(".csv"))
    size = max_size(labels)  # the video's frame size and crop box
    video = write_video(labels, out / "videos" / f"{set_name}.mp4", size)
    day = day or _date.today().strftime("%b%d")
    return write_config(out, task=task, scorer=scorer, day=day, video=video, bodyparts=labels.keypoints,
                        skeleton=labels.skeleton, size=size, individuals=individuals)


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    labels = labels_for_export(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT)
    first = labels.first if isinstance(labels, AnimalsLabels) else labels
    root = Path(first.source)
    return write_dlc(labels, out, task=set_name_for(root.name), set_name=f"{root.name}_{first.camera}")


__all__ = ["DLC_H5_KEY", "OCCLUDED_DEFAULT", "export", "label_table", "write_dlc", "write_video"]
