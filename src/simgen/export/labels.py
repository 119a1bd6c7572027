"""2-D pose labels in memory: what exporters write and what importers read.

``PoseLabels`` holds one animal per image: image sources, an ``(N, K, 3)`` array of
x, y, v, keypoint names and skeleton. ``AnimalsLabels`` holds several animals per image
(a dataset of several animals): one ``PoseLabels`` per animal over the same images.
Coordinates follow simgen (and DeepLabCut): pixel centers at integer coordinates, origin at the center of the top-left pixel.
``v``: 2 visible, 1 occluded (labeled but hidden), 0 not labeled; x and y are NaN
exactly where v is 0 (a keypoint outside the image, dropped, or never labeled).

Sources of labels:
- ``from_dataset``: one camera of a simgen dataset, optionally remapped by a keypoint set.
- ``animals_from_dataset``: the same for every animal of a dataset (one or several).
- ``read_dlc``: a DeepLabCut project's labeled data (CSV or H5; string or tuple row index;
  a multi-animal table gives one row per labeled individual, named in ``tracks``).
- ``read_sleap``: a SLEAP ``.slp`` / ``.pkg.slp`` file (through sleap-io; one row per
  instance, its track's name in ``tracks``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simgen.choices import Occluded, names
from simgen.errors import SimgenError
from simgen.keypoints import KeypointSet

OCCLUDED_CHOICES: tuple[str, ...] = names(Occluded)


@dataclass(frozen=True)
class VideoFrame:
    """An image that is a frame of a video (or of a SLEAP package) rather than a file."""

    video: Any  # a sleap_io.Video
    index: int
    name: str

    def read(self) -> np.ndarray:
        img = np.asarray(self.video[self.index])
        if img.ndim == 3 and img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        return img


ImageSource = Path | VideoFrame


@dataclass
class PoseLabels:
    images: list[ImageSource]
    xyv: np.ndarray  # (N, K, 3)
    keypoints: list[str]
    skeleton: list[tuple[str, str]] = field(default_factory=list)
    swap_pairs: list[tuple[str, str]] = field(default_factory=list)
    sizes: np.ndarray | None = None  # (N, 2) width, height; None when unknown
    bboxes: np.ndarray | None = None  # (N, 4) x0, y0, x1, y1; NaN rows where unknown
    frames: list[int] | None = None  # simgen frame indices, when from a dataset
    camera: str | None = None
    source: str = ""
    masks: list[Path] | None = None  # id masks (dataset layout), when every frame has one
    mask_id: int = 1  # the animal's id in ``masks``
    tracks: list[str] | None = None  # per row: the animal (track, individual) when read from a file of several

    def __post_init__(self) -> None:
        self.xyv = np.asarray(self.xyv, dtype=float).reshape(len(self.images), len(self.keypoints), 3)
        v = self.xyv[..., 2]
        if not np.isin(v, (0, 1, 2)).all():
            raise SimgenError(f"{self.source or 'labels'}: visibility must be 0, 1 or 2")
        missing = (v == 0) | ~np.isfinite(self.xyv[..., :2]).all(axis=-1)
        self.xyv[missing] = (np.nan, np.nan, 0)
        if self.sizes is not None:
            self.sizes = np.asarray(self.sizes, dtype=int).reshape(len(self.images), 2)
        if self.bboxes is not None:
            self.bboxes = np.asarray(self.bboxes, dtype=float).reshape(len(self.images), 4)
        if self.tracks is not None and len(self.tracks) != len(self.images):
            raise SimgenError(f"{self.source or 'labels'}: {len(self.tracks)} track names for {len(self.images)} rows")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def xy(self) -> np.ndarray:
        return self.xyv[..., :2]

    @property
    def visibility(self) -> np.ndarray:
        return self.xyv[..., 2].astype(int)

    def image_name(self, i: int) -> str:
        src = self.images[i]
        return src.name if isinstance(src, (Path, VideoFrame)) else str(src)

    def load_image(self, i: int) -> np.ndarray:
        """RGB uint8 (H, W, 3)."""
        src = self.images[i]
        if isinstance(src, VideoFrame):
            return src.read()
        from PIL import Image

        with Image.open(src) as im:
            return np.asarray(im.convert("RGB"))

    def size(self, i: int) -> tuple[int, int]:
        """(width, height) of image i, read from the file header when not stored."""
        if self.sizes is not None:
            return int(self.sizes[i, 0]), int(self.sizes[i, 1])
        src = self.images[i]
        if isinstance(src, VideoFrame):
            h, w = np.asarray(src.read()).shape[:2]
            return w, h
        from PIL import Image

        with Image.open(src) as im:
            return im.size

    def load_mask(self, i: int) -> np.ndarray | None:
        """Boolean (H, W) mask of the animal in image i, or None without masks."""
        if self.masks is None:
            return None
        from PIL import Image

        with Image.open(self.masks[i]) as im:
            return np.asarray(im) == self.mask_id

    def keypoint_bboxes(self) -> np.ndarray:
        """(N, 4) box around each image's labeled keypoints; NaN where none is labeled."""
        out = np.full((len(self), 4), np.nan)
        for i in range(len(self)):
            xy = self.xy[i][self.xyv[i, :, 2] > 0]
            if len(xy):
                out[i] = [*xy.min(axis=0), *xy.max(axis=0)]
        return out


@dataclass
class AnimalsLabels:
    """Several animals per image: ``animals[a]`` is the animal named ``names[a]`` (its track,
    the index in dataset.json's ``animals``) over the same images, frames and camera."""

    names: list[str]
    animals: list[PoseLabels]

    def __post_init__(self) -> None:
        if not self.animals or len(self.names) != len(self.animals):
            raise SimgenError(f"{len(self.names)} animal names for {len(self.animals)} animals' labels")
        first = self.animals[0]
        for lab in self.animals[1:]:
            if lab.images != first.images or lab.keypoints != first.keypoints:
                raise SimgenError(f"{first.source}: every animal's labels must share images and keypoints")

    def __len__(self) -> int:
        return len(self.animals[0])

    @property
    def first(self) -> PoseLabels:
        """The first animal's labels: images, sizes, frames, keypoints and skeleton, shared by all."""
        return self.animals[0]

    @property
    def xyv(self) -> np.ndarray:
        """(N, A, K, 3) x, y, v: image, animal, keypoint."""
        return np.stack([lab.xyv for lab in self.animals], axis=1)


# -- from a simgen dataset ---------------------------------------------------------------
def resolve_keypoint_set(keypoint_set: KeypointSet | str | Path | None, meta) -> KeypointSet:
    """None -> identity over the dataset's keypoints (its skeleton and swap pairs)."""
    if keypoint_set is None:
        return KeypointSet.identity(meta.keypoints, meta.skeleton, meta.swap_pairs, name="dataset")
    kset = keypoint_set if isinstance(keypoint_set, KeypointSet) else KeypointSet.load(keypoint_set)
    if list(meta.keypoints) == list(kset.sources) and any(kset.sources[n] != (n,) for n in kset.sources):
        # the dataset was rendered with this set already (scene `keypoints: {names: SET}`)
        return KeypointSet.identity(list(meta.keypoints), kset.skeleton, kset.swap_pairs, name=kset.name)
    return kset


def apply_occluded(xyv: np.ndarray, occluded: Occluded) -> np.ndarray:
    """``drop`` turns occluded (v=1) keypoints into unlabeled ones (v=0, NaN)."""
    if occluded not in OCCLUDED_CHOICES:
        raise SimgenError(f"occluded must be one of {', '.join(OCCLUDED_CHOICES)}, not {occluded!r}")
    xyv = np.array(xyv, dtype=float)
    if occluded == "drop":
        xyv[xyv[..., 2] == 1] = (np.nan, np.nan, 0)
    return xyv


def from_dataset(
    dataset,
    camera: str | None = None,
    keypoint_set: KeypointSet | str | Path | None = None,
    occluded: Occluded = "keep",
) -> PoseLabels:
    """One camera's labels of every complete frame of a simgen dataset of one animal."""
    from simgen.dataset import Dataset

    ds = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
    if ds.meta.multi:  # `simgen export` names the formats that keep identities (registry.MULTI_ANIMAL_FORMATS)
        raise SimgenError(f"{ds.root}: a dataset of several animals ({', '.join(ds.meta.animal_names)}); this "
                          "reads one animal (a one-animal pose model, exports without identities); docs/export.md, "
                          "'Several animals', lists the exports that keep identities")
    return animals_from_dataset(ds, camera, keypoint_set, occluded).first


def labels_for_export(
    dataset,
    camera: str | None = None,
    keypoint_set: KeypointSet | str | Path | None = None,
    occluded: Occluded = "keep",
) -> PoseLabels | AnimalsLabels:
    """``from_dataset`` for a dataset of one animal, ``animals_from_dataset`` for several:
    what an exporter that keeps identities reads (one animal's export stays as it was)."""
    from simgen.dataset import Dataset

    ds = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
    if ds.meta.multi:
        return animals_from_dataset(ds, camera, keypoint_set, occluded)
    return from_dataset(ds, camera, keypoint_set, occluded)


def animals_from_dataset(
    dataset,
    camera: str | None = None,
    keypoint_set: KeypointSet | str | Path | None = None,
    occluded: Occluded = "keep",
) -> AnimalsLabels:
    """One camera's labels of every animal in every complete frame of a simgen dataset.

    One animal: a single ``PoseLabels`` named ``animal``. Several: one per animal in
    dataset.json's order, each with its own mask id; images, sizes and frames are shared."""
    from simgen.dataset import Dataset

    ds = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
    cam = ds.meta.pick_camera(camera)
    kset = resolve_keypoint_set(keypoint_set, ds.meta)
    frames = ds.sound_frames()
    if not frames:
        raise SimgenError(f"{ds.root}: no complete frames to export")
    names = ds.meta.animal_names if ds.meta.multi else ["animal"]  # one animal: unnamed in its files
    per_frame = [ds.annotation(f).animals for f in frames]
    masks = [ds.mask_path(cam, f) for f in frames]
    have_masks = all(m.is_file() for m in masks)
    images = [ds.image_path(cam, f) for f in frames]
    animals = []
    for track, mask_id in enumerate(ds.meta.animal_ids):
        raw, sizes, boxes = [], [], []
        for f, labels in zip(frames, per_frame, strict=True):
            animal = labels[track]
            if animal.track != track or (animal.name or "animal") != names[track]:
                raise SimgenError(f"{ds.root}: frame {f}: instance {track} is {animal.name!r} (track "
                                  f"{animal.track}), not dataset.json's {names[track]!r}; run simgen verify")
            label = animal.cameras[cam]
            raw.append(label.keypoints)
            sizes.append((label.width, label.height))
            boxes.append(label.bbox if label.bbox is not None else np.full(4, np.nan))
        # Map before dropping: a mean keypoint's v is the min of its sources' v.
        xyv = apply_occluded(kset.map_labels(ds.keypoints, np.stack(raw)), occluded)
        animals.append(PoseLabels(
            images=list(images),
            xyv=xyv,
            keypoints=kset.names,
            skeleton=list(kset.skeleton),
            swap_pairs=list(kset.swap_pairs),
            sizes=np.array(sizes),
            bboxes=np.array(boxes),
            frames=list(frames),
            camera=cam,
            source=str(ds.root),
            masks=list(masks) if have_masks else None,
            mask_id=mask_id,
        ))
    return AnimalsLabels(names=list(names), animals=animals)


# -- DeepLabCut --------------------------------------------------------------------------
def _dlc_label_files(path: Path) -> tuple[Path, list[Path]]:
    """(project root, CollectedData files) for a project, a labeled-data/<set> folder or a file."""
    if path.is_file():
        return path.parent.parent.parent, [path]
    if not path.is_dir():
        raise SimgenError(f"{path}: no such DeepLabCut project, folder or file")
    if (path / "labeled-data").is_dir():
        root, sets = path, sorted(p for p in (path / "labeled-data").iterdir() if p.is_dir())
    else:
        root, sets = path.parent.parent, [path]
    files = []
    for s in sets:
        # H5 is what DeepLabCut reads; its CSV is a copy for people. Prefer H5.
        found = sorted(s.glob("CollectedData_*.h5")) or sorted(s.glob("CollectedData_*.csv"))
        files.extend(found)
    if not files:
        raise SimgenError(f"{path}: no labeled-data/*/CollectedData_*.h5 or .csv found")
    return root, files


def _read_dlc_csv(path: Path):
    import pandas as pd

    with open(path, newline="") as fh:
        first = next(csv.reader(fh))
    # A tuple row index is written as several index columns; the header rows then
    # start with empty cells after the level name.
    n_index = 1
    while n_index < len(first) and first[n_index] == "":
        n_index += 1
    n_header = 4 if _has_individuals(path) else 3
    _check_dlc_rows(path, n_header, n_index)
    return pd.read_csv(path, header=list(range(n_header)), index_col=list(range(n_index)))


def _check_dlc_rows(path: Path, n_header: int, n_index: int) -> None:
    """Every data row has the header's length and numbers (or empty cells) as labels; a file
    cut off mid-row would otherwise turn its last, cut number into a label."""
    with open(path, newline="") as fh:
        text = fh.read()
    if text and not text.endswith(("\n", "\r")):
        raise SimgenError(f"{path}:{text.count(chr(10)) + 1}: the file ends mid-row (no final newline), so "
                          "its last number may be cut; if the row is complete, end the file with a newline")
    rows = list(csv.reader(text.splitlines()))
    width = len(rows[0]) if rows else 0
    for i, row in enumerate(rows[n_header:], start=n_header + 1):
        if not row:
            continue
        if len(row) != width:
            raise SimgenError(f"{path}:{i}: {len(row)} cells, expected {width} like the header "
                              "(the file is cut off or damaged)")
        for j, cell in enumerate(row[n_index:], start=n_index):
            if cell.strip() == "":
                continue
            try:
                float(cell)
            except ValueError:
                raise SimgenError(f"{path}:{i}: column {j + 1} is {cell!r}, not a number") from None


def _has_individuals(path: Path) -> bool:
    with open(path, newline="") as fh:
        rows = [next(csv.reader(fh), []) for _ in range(2)]
    return len(rows) > 1 and rows[1] and rows[1][0] == "individuals"


def _read_dlc_table(path: Path):
    import pandas as pd

    if path.suffix == ".h5":
        try:
            return pd.read_hdf(path)
        except ImportError as exc:
            raise SimgenError(f"{path}: reading DeepLabCut .h5 needs PyTables ({exc})") from None
    return _read_dlc_csv(path)


def read_dlc(project_or_folder: str | Path) -> PoseLabels:
    """Labeled frames of a DeepLabCut project as ``PoseLabels``.

    Accepts the project folder (with ``labeled-data/``), one ``labeled-data/<set>``
    folder, or a ``CollectedData_*.h5``/``.csv`` file. Missing labels (NaN) get v=0;
    DeepLabCut has no occlusion flag, so every labeled point gets v=2.

    A multi-animal table (column levels scorer / individuals / bodyparts / coords) gives
    one row per image and individual with at least one labeled point, image by image in
    the table's individuals order, and the individual's name in ``tracks``. Unique body
    parts (DeepLabCut's ``single`` individual) are not supported.
    """
    import pandas as pd

    root, files = _dlc_label_files(Path(project_or_folder))
    names: list[str] | None = None
    multi: bool | None = None
    images: list[Path] = []
    blocks: list[np.ndarray] = []
    tracks: list[str] = []
    for path in files:
        try:
            df = _read_dlc_table(path)
        except (ValueError, KeyError, OSError, pd.errors.ParserError) as exc:
            raise SimgenError(f"{path}: not a DeepLabCut label table ({exc})") from None
        levels = list(df.columns.names)
        has_individuals = "individuals" in levels
        expected = ["scorer", "individuals", "bodyparts", "coords"] if has_individuals else ["bodyparts", "coords"]
        if levels[-len(expected):] != expected:
            raise SimgenError(f"{path}: columns are {levels}, expected scorer/bodyparts/coords "
                              "or scorer/individuals/bodyparts/coords")
        if multi is not None and has_individuals != multi:
            raise SimgenError(f"{path}: mixes single- and multi-animal label tables with {files[0]}")
        multi = has_individuals
        scorer = df.columns.get_level_values(0)[0]
        individuals = list(dict.fromkeys(df.columns.get_level_values("individuals"))) if multi else [None]
        per_individual = []
        for ind in individuals:
            sub = df[scorer] if ind is None else df[(scorer, ind)]
            bps = list(dict.fromkeys(sub.columns.get_level_values("bodyparts")))
            if names is None:
                names = bps
            elif bps != names:
                what = f"individual {ind!r}: " if ind is not None else ""
                unique = " (unique body parts are not supported)" if ind == "single" else ""
                raise SimgenError(f"{path}: {what}body parts {bps} differ from {names}{unique}")
            xy = np.stack([sub[(bp, c)].to_numpy(dtype=float) for bp in bps for c in ("x", "y")], axis=1)
            per_individual.append(xy.reshape(len(df), len(bps), 2))
        for i, key in enumerate(df.index):
            parts = [str(p) for p in key] if isinstance(key, tuple) else str(key).replace("\\", "/").split("/")
            image = root.joinpath(*parts)
            for ind, xy in zip(individuals, per_individual, strict=True):
                labeled = np.isfinite(xy[i]).all(axis=-1)
                if ind is not None and not labeled.any():
                    continue  # this individual is not labeled in this image
                blocks.append(np.concatenate([xy[i], np.where(labeled, 2.0, 0.0)[:, None]], axis=-1)[None])
                images.append(image)
                if ind is not None:
                    tracks.append(str(ind))
    if multi and not blocks:
        raise SimgenError(f"{project_or_folder}: no individual is labeled in any image")
    missing = [p for p in images if not p.is_file()]
    if missing:
        raise SimgenError(f"{project_or_folder}: {len(missing)} of {len(images)} labeled images are missing "
                          f"(first: {missing[0]}); keep the images next to the label table")
    skeleton: list[tuple[str, str]] = []
    cfg_path = root / "config.yaml"
    if cfg_path.is_file():
        from simgen.scene.yamlsrc import load_yaml  # the limited YAML reader

        try:
            cfg = load_yaml(cfg_path)[0] or {}
        except SimgenError:  # the skeleton is optional: an unreadable config.yaml has none
            cfg = {}
        skeleton = [tuple(e) for e in (cfg.get("skeleton") or []) if len(e) == 2 and set(e) <= set(names)]
    return PoseLabels(
        images=images,
        xyv=np.concatenate(blocks) if blocks else np.zeros((0, len(names or []), 3)),
        keypoints=names,
        skeleton=skeleton,
        source=str(project_or_folder),
        tracks=tracks if multi else None,
    )


# -- SLEAP -------------------------------------------------------------------------------
def read_sleap(path: str | Path, invisible_as_occluded: bool = False) -> PoseLabels:
    """User-labeled instances of a SLEAP file, one row per instance (frame by frame, in each
    frame's instance order); ``tracks`` names each row's track when any instance has one
    ("" for an instance without a track).

    SLEAP marks each point visible or not; a visible point becomes v=2. A point marked
    not visible becomes v=0 (SLEAP does not train on it), or, with
    ``invisible_as_occluded``, v=1 when it still has coordinates (how SLEAP's GUI and
    simgen's export store an occluded point). Images are file paths for image-list
    videos (relative ones taken relative to the file's folder), else ``VideoFrame``s.
    """
    import sleap_io as sio

    path = Path(path)
    if not path.is_file():
        raise SimgenError(f"{path}: no such SLEAP file")
    try:
        labels = sio.load_slp(str(path))
    except Exception as exc:  # sleap-io raises many types for a bad file
        raise SimgenError(f"{path}: not a readable SLEAP file ({type(exc).__name__}: {exc})") from None
    if len(labels.skeletons) != 1:
        raise SimgenError(f"{path}: {len(labels.skeletons)} skeletons; one is supported")
    sk = labels.skeletons[0]
    names = [n.name for n in sk.nodes]
    images: list[ImageSource] = []
    rows = []
    sizes = []
    tracks: list[str] = []
    for lf in labels.labeled_frames:
        insts = lf.user_instances or lf.instances
        for inst in insts:
            tracks.append(inst.track.name if inst.track is not None else "")
            pts = inst.points
            xy = np.asarray(pts["xy"], dtype=float)
            has_xy = np.isfinite(xy).all(axis=1)
            vis = np.asarray(pts["visible"], dtype=bool) & has_xy
            occ = ~vis & has_xy if invisible_as_occluded else np.zeros_like(vis)
            rows.append(np.concatenate([xy, np.where(vis, 2.0, np.where(occ, 1.0, 0.0))[:, None]], axis=1))
            video = lf.video
            if isinstance(video.filename, list):
                images.append(path.parent / video.filename[lf.frame_idx])  # absolute ones stay as they are
            else:
                images.append(VideoFrame(video, lf.frame_idx, f"{Path(str(video.filename)).stem}_{lf.frame_idx:06d}"))
            shape = video.shape
            sizes.append((shape[2], shape[1]) if shape is not None else (0, 0))
    if not rows:
        raise SimgenError(f"{path}: no labeled instances")
    sizes_arr = np.array(sizes)
    return PoseLabels(
        images=images,
        xyv=np.stack(rows),
        keypoints=names,
        skeleton=[(e.source.name, e.destination.name) for e in sk.edges],
        swap_pairs=[_symmetry_pair(s, names) for s in sk.symmetries],
        sizes=None if (sizes_arr == 0).any() else sizes_arr,
        source=str(path),
        tracks=tracks if any(tracks) else None,
    )


def _symmetry_pair(symmetry, names: list[str]) -> tuple[str, str]:
    # A SLEAP symmetry is an unordered set; order the pair as the skeleton does.
    a, b = sorted((n.name for n in symmetry.nodes), key=names.index)
    return a, b
