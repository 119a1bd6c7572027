"""Top-down pose for images of several animals: a crop per animal from its box, then the model.

Training: every (image, animal in view) of a source becomes one sample, the image cropped
to the animal's box grown by ``margin`` x its longer side on every side, made square
around the box's center and clipped to the image, with the keypoints shifted into the
crop; then the usual letterbox. A crop is a whole-pixel window, so a keypoint maps as
``x' = x - x0`` (and back as ``x = x' + x0``), exactly.

Inference (``pose_animals``), the one path of ``simgen pose predict`` and ``simgen pose
evaluate``: the model's finding stage (pose/finder.py) boxes the animals of the whole
image, each box is cropped as at training, and the pose model runs on the crops; poses
map back to the image by the crop's shift. No labeled box is used.

Evaluation with oracle boxes (``evaluate.evaluate_topdown``, ``--oracle-boxes``): the
model runs on a crop of every *labeled* animal's box instead (no finding stage, so the
numbers measure the pose model given perfect boxes). The predicted poses are matched to
the labeled animals by the Hungarian assignment on mean keypoint distance, and a pose
matched to another animal than the one whose box it came from counts as an identity swap.

Boxes (``finder.boxes`` of the training config): the box around the animal's labeled
keypoints, the same for renders and for DeepLabCut / SLEAP labels (default); or a simgen
dataset's per-animal mask box ("mask", which includes the tail; keypoint boxes where that
is missing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simgen.choices import TopdownBoxes
from simgen.errors import SimgenError
from simgen.export.labels import AnimalsLabels, PoseLabels

DEFAULT_MARGIN = 0.25


@dataclass(frozen=True)
class Crop:
    """A whole-pixel window ``[x0, x1) x [y0, y1)`` of an image."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def size(self) -> tuple[int, int]:
        return self.x1 - self.x0, self.y1 - self.y0

    def forward(self, xy: np.ndarray) -> np.ndarray:
        """Image pixels -> crop pixels."""
        out = np.array(xy, dtype=float)
        out[..., 0] -= self.x0
        out[..., 1] -= self.y0
        return out

    def inverse(self, xy: np.ndarray) -> np.ndarray:
        """Crop pixels -> image pixels."""
        out = np.array(xy, dtype=float)
        out[..., 0] += self.x0
        out[..., 1] += self.y0
        return out

    def cut(self, image: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(image[self.y0:self.y1, self.x0:self.x1])

    def inside(self, xy: np.ndarray) -> np.ndarray:
        """Which image-pixel points fall in the crop (pixel edges included)."""
        c = self.forward(xy)
        w, h = self.size
        return (c[..., 0] >= -0.5) & (c[..., 0] <= w - 0.5) & (c[..., 1] >= -0.5) & (c[..., 1] <= h - 0.5)


def crop_for_box(box, size: tuple[int, int], margin: float = DEFAULT_MARGIN, min_side: int = 8) -> Crop:
    """The crop of an animal whose box is ``box`` (x0, y0, x1, y1 at pixel edges) in an
    image of ``size`` (w, h): a square of side ``L * (1 + 2 * margin)`` (L the box's longer
    side, at least ``min_side``) around the box's center, in whole pixels, clipped to the image."""
    w, h = size
    x0, y0, x1, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 < x0 or y1 < y0:
        raise SimgenError(f"not a box: {box}")
    side = max(x1 - x0, y1 - y0, float(min_side)) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # pixel i covers edges [i - 0.5, i + 0.5]: keep the pixels that the square touches
    ix0, iy0 = math.floor(cx - side / 2 + 0.5), math.floor(cy - side / 2 + 0.5)
    ix1, iy1 = math.ceil(cx + side / 2 + 0.5), math.ceil(cy + side / 2 + 0.5)
    ix0, iy0 = min(max(ix0, 0), w - 1), min(max(iy0, 0), h - 1)
    ix1, iy1 = max(min(ix1, w), ix0 + 1), max(min(iy1, h), iy0 + 1)
    return Crop(ix0, iy0, ix1, iy1)


# -- instances: one row per (image, animal) --------------------------------------------------
@dataclass
class Instances:
    """Labeled animals, one row each: ``labels`` (a PoseLabels whose rows repeat images,
    ``tracks`` naming each row's animal, ``bboxes`` each row's box) and ``image`` (per row,
    the index of its image among ``n_images``, rows of one image together)."""

    labels: PoseLabels
    image: np.ndarray  # (R,) int
    n_images: int

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def animals(self) -> list[str]:
        return list(self.labels.tracks or [])

    def groups(self) -> list[np.ndarray]:
        """Row indices of each image that has any."""
        return [idx for idx in (np.flatnonzero(self.image == i) for i in range(self.n_images)) if len(idx)]

    def subset_images(self, rows) -> "Instances":
        """Keep the images ``rows`` selects (a slice or index list of images, in order)."""
        keep_img = np.arange(self.n_images)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=int)
        keep = np.flatnonzero(np.isin(self.image, keep_img))
        if len(keep) == 0:
            raise SimgenError(f"{self.labels.source}: no labeled frames selected")
        remap = {int(old): new for new, old in enumerate(sorted(set(keep_img.tolist())))}
        return Instances(_rows(self.labels, keep), np.array([remap[int(i)] for i in self.image[keep]]), len(remap))


def _rows(labels: PoseLabels, idx) -> PoseLabels:
    pick = lambda a: None if a is None else np.asarray(a)[idx]  # noqa: E731
    return PoseLabels(
        images=[labels.images[i] for i in idx], xyv=labels.xyv[idx], keypoints=list(labels.keypoints),
        skeleton=list(labels.skeleton), swap_pairs=list(labels.swap_pairs), sizes=pick(labels.sizes),
        bboxes=pick(labels.bboxes), frames=None if labels.frames is None else [labels.frames[i] for i in idx],
        camera=labels.camera, source=labels.source,
        tracks=None if labels.tracks is None else [labels.tracks[i] for i in idx],
    )


def _boxes(labels: PoseLabels, boxes: TopdownBoxes = "mask") -> np.ndarray:
    """Each row's box: the box of its labeled keypoints, or with ``boxes="mask"`` the labels'
    own box (a simgen dataset's mask box) where known."""
    kp = labels.keypoint_bboxes()
    if labels.bboxes is None or boxes == "keypoints":
        return kp
    have = np.isfinite(labels.bboxes).all(axis=1)
    return np.where(have[:, None], labels.bboxes, kp)


def instances(labels: PoseLabels | AnimalsLabels, boxes: TopdownBoxes = "mask") -> Instances:
    """Rows of the animals in view: with a labeled keypoint (and so a box); ``boxes``: which
    box each gets (``_boxes``)."""
    if isinstance(labels, AnimalsLabels):
        first = labels.first
        n, names = len(first), labels.names
        order = [(i, a) for i in range(n) for a in range(len(names))]
        xyv = np.stack([labels.animals[a].xyv[i] for i, a in order]) if order else np.zeros((0, len(first.keypoints), 3))
        per_animal = np.stack([_boxes(lab, boxes) for lab in labels.animals], axis=1)  # (N, A, 4)
        flat = PoseLabels(
            images=[first.images[i] for i, _ in order], xyv=xyv, keypoints=list(first.keypoints),
            skeleton=list(first.skeleton), swap_pairs=list(first.swap_pairs),
            sizes=None if first.sizes is None else first.sizes[[i for i, _ in order]],
            bboxes=np.array([per_animal[i, a] for i, a in order]).reshape(-1, 4),
            frames=None if first.frames is None else [first.frames[i] for i, _ in order],
            camera=first.camera, source=first.source, tracks=[names[a] for _, a in order],
        )
        image = np.array([i for i, _ in order], dtype=int)
    else:
        keys: dict = {}
        image = np.array([keys.setdefault(_image_key(s), len(keys)) for s in labels.images], dtype=int)
        n = len(keys)
        flat = PoseLabels(
            images=list(labels.images), xyv=labels.xyv, keypoints=list(labels.keypoints),
            skeleton=list(labels.skeleton), swap_pairs=list(labels.swap_pairs), sizes=labels.sizes,
            bboxes=_boxes(labels, boxes), frames=labels.frames, camera=labels.camera, source=labels.source,
            tracks=list(labels.tracks) if labels.tracks is not None else ["animal"] * len(labels),
        )
    keep = np.flatnonzero((flat.xyv[..., 2] > 0).any(axis=1) & np.isfinite(flat.bboxes).all(axis=1))
    if len(keep) == 0:
        raise SimgenError(f"{flat.source}: no animal in view with a labeled keypoint")
    return Instances(_rows(flat, keep), image[keep], n)


def _image_key(src):
    from simgen.export.labels import VideoFrame

    return (id(src.video), src.index) if isinstance(src, VideoFrame) else str(src)


def is_multi_source(spec) -> bool:
    """A simgen dataset of several animals, or a multi-animal DeepLabCut project."""
    from simgen.dataset.layout import Layout
    from simgen.export.labels import read_dlc

    p = spec.path
    if Layout(p).meta.is_file():
        from simgen.dataset import Dataset

        return bool(Dataset(p).meta.multi)
    if p.suffix == ".slp" or p.name.endswith(".pkg.slp") or not p.exists():
        return False
    return read_dlc(p).tracks is not None


def load_instances(spec, keypoints: str | None = None, camera: str | None = None,
                   occluded: str = "keep", boxes: TopdownBoxes = "mask") -> Instances:
    """One source as instances; ``frames`` selects images (not rows) in their order."""
    from simgen.export.labels import animals_from_dataset
    from simgen.pose.data import read_source

    labels = read_source(spec.path, lambda p: animals_from_dataset(p, camera=camera, keypoint_set=keypoints,
                                                                   occluded=occluded))
    inst = instances(labels, boxes)
    return inst.subset_images(spec.frames) if spec.frames is not None else inst


def crop_sample(image: np.ndarray, xyv: np.ndarray, box, margin: float) -> tuple[np.ndarray, np.ndarray, Crop]:
    """(crop image, keypoints in crop pixels with those outside the crop unlabeled, crop)."""
    h, w = image.shape[:2]
    crop = crop_for_box(box, (w, h), margin)
    kp = np.array(xyv, dtype=float)
    kp[:, :2] = crop.forward(kp[:, :2])
    out = (kp[:, 2] > 0) & ~crop.inside(xyv[:, :2])
    kp[out] = (np.nan, np.nan, 0)
    return crop.cut(image), kp, crop


# -- matching predicted poses to labeled animals ----------------------------------------------
def pose_cost(pred: np.ndarray, gt_xyv: np.ndarray) -> np.ndarray:
    """(P, K, 2) predictions x (G, K, 3) labels -> (P, G) mean distance over each label's
    labeled keypoints (inf where an animal has none)."""
    d = np.linalg.norm(pred[:, None] - gt_xyv[None, ..., :2], axis=-1)  # (P, G, K)
    lab = gt_xyv[None, ..., 2] > 0
    n = lab.sum(axis=-1)
    s = np.where(lab, d, 0.0).sum(axis=-1)
    return np.where(n > 0, s / np.maximum(n, 1), np.inf)


def assign(cost: np.ndarray) -> np.ndarray:
    """Hungarian assignment of a square cost matrix: ``match[g]`` = the row (prediction)
    given to column g (labeled animal); minimal total cost (scipy's linear_sum_assignment)."""
    from scipy.optimize import linear_sum_assignment

    c = np.where(np.isfinite(cost), cost, 1e12)
    rows, cols = linear_sum_assignment(c)
    match = np.full(cost.shape[1], -1, dtype=int)
    match[cols] = rows
    return match


# -- training samples ------------------------------------------------------------------------
def topdown_dataset(sources: list[Instances], keypoints: list[str], input_size: tuple[int, int],
                    weights: list[float] | None = None, margin: float = DEFAULT_MARGIN):
    """A ``PoseDataset`` of animal crops: one sample per instance row, its image cropped by
    ``crop_sample`` and letterboxed; ``Sample.box`` maps input pixels to crop pixels (a crop
    is a shift, so distances there are the image's)."""
    from simgen.pose.data import PoseDataset, Sample, letterbox, select_keypoints

    weights = weights or [1.0] * len(sources)
    ds = object.__new__(PoseDataset)
    ds.keypoints, ds.input_size = list(keypoints), tuple(input_size)
    ds.samples, probs = [], []
    for inst, wgt in zip(sources, weights):
        labels = inst.labels
        xyv = select_keypoints(labels, ds.keypoints)
        key, img = None, None
        for i in range(len(labels)):
            if _image_key(labels.images[i]) != key:
                try:
                    img = labels.load_image(i)
                except OSError as exc:
                    raise SimgenError(f"{labels.image_name(i)}: cannot read image ({exc})") from None
                key = _image_key(labels.images[i])
            crop_img, kp, _ = crop_sample(img, xyv[i], labels.bboxes[i], margin)
            lb_img, box = letterbox(crop_img, ds.input_size)
            kp[:, :2] = box.forward(kp[:, :2])
            ds.samples.append(Sample(lb_img, kp, box, f"{labels.image_name(i)}/{labels.tracks[i]}"))
            probs.append(wgt / len(labels))
    if not ds.samples:
        raise SimgenError("no labeled animals to train on")
    ds.probs = np.asarray(probs) / np.sum(probs)
    return ds


# -- prediction and evaluation ---------------------------------------------------------------
def model_margin(model) -> float:
    if not model.topdown:
        raise SimgenError("not a top-down model (trained on one animal per image)")
    return float(model.topdown.get("margin", DEFAULT_MARGIN))


def predict_crops(model, image: np.ndarray, boxes) -> tuple[np.ndarray, np.ndarray]:
    """A top-down model on one image: one pose per box (x0, y0, x1, y1, pixel edges) ->
    xy (B, K, 2) in the image's pixels, likelihood (B, K)."""
    from simgen.pose.predict import predict_images

    h, w = image.shape[:2]
    crops = [crop_for_box(b, (w, h), model_margin(model)) for b in np.asarray(boxes, float).reshape(-1, 4)]
    xy, conf = predict_images(model, [c.cut(image) for c in crops])
    return np.stack([c.inverse(p) for c, p in zip(crops, xy)]) if crops else xy, conf


def predict_instances(model, inst: Instances, tta: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The model on a crop of every row's box: xy (R, K, 2) in image pixels, likelihood (R, K);
    ``tta``: test-time flips of each crop (``predict.predict_images``)."""
    from simgen.pose.predict import predict_images

    margin = model_margin(model)
    labels = inst.labels
    crops: list[Crop] = []

    def cut():
        key, img = None, None
        for i in range(len(labels)):
            if _image_key(labels.images[i]) != key:
                img, key = labels.load_image(i), _image_key(labels.images[i])
            h, w = img.shape[:2]
            crops.append(crop_for_box(labels.bboxes[i], (w, h), margin))
            yield crops[-1].cut(img)

    xy, conf = predict_images(model, cut(), tta=tta)
    return np.stack([c.inverse(p) for c, p in zip(crops, xy)]), conf


def match(inst: Instances, gt: np.ndarray, raw_xy: np.ndarray, raw_conf: np.ndarray,
          ) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Row r of ``raw_xy`` is the pose predicted in row r's box (image pixels). Per image,
    poses are matched to labeled animals (Hungarian, mean keypoint distance) -> (pred, conf)
    per labeled animal row, and the identity swaps: a row's pose that came from another
    animal's box (``box_of``, ``matched_to``)."""
    labels = inst.labels
    pred, conf = np.empty_like(raw_xy), np.empty_like(raw_conf)
    tracks = labels.tracks or [""] * len(labels)
    swaps = []
    for idx in inst.groups():
        got = assign(pose_cost(raw_xy[idx], gt[idx]))
        for g, p in enumerate(got):
            pred[idx[g]], conf[idx[g]] = raw_xy[idx[p]], raw_conf[idx[p]]
            if p != g:
                swaps.append({"image": labels.image_name(idx[g]), "row": int(idx[g]),
                              "box_of": tracks[idx[p]], "matched_to": tracks[idx[g]]})
    return pred, conf, swaps


# -- finding, cropping and posing: what predict and evaluate run ----------------------------
@dataclass
class FoundAnimals:
    """The animals found in one image, best-scoring first."""

    boxes: np.ndarray  # (n, 4) x0, y0, x1, y1 at pixel edges, image pixels
    scores: np.ndarray  # (n,) the finder's centre peak, in [0, 1]
    xy: np.ndarray  # (n, K, 2) image pixels
    conf: np.ndarray  # (n, K) likelihood

    def __len__(self) -> int:
        return len(self.boxes)


def pose_animals(model, images, max_animals: int | None = None, threshold: float | None = None,
                 chunk: int = 16, tta: bool = False):
    """RGB uint8 images -> one ``FoundAnimals`` per image (a generator): the finding stage's
    boxes (at most ``max_animals``, centre peaks of at least ``threshold``; defaults: the
    model's), a crop of each (the training margin), the pose model on the crops (``tta``: with
    test-time flips of each crop, ``predict.predict_images``)."""
    from simgen.pose.finder import find, model_finder

    finder = model_finder(model)
    margin = model_margin(model)
    k = len(model.keypoints)
    buf: list[np.ndarray] = []

    def run() -> list[FoundAnimals]:
        from simgen.pose.predict import predict_images

        found = find(finder, buf, threshold, max_animals)
        crops = [[crop_for_box(b, (img.shape[1], img.shape[0]), margin) for b in boxes]
                 for img, (boxes, _) in zip(buf, found)]
        xy, conf = predict_images(model, (c.cut(img) for img, cs in zip(buf, crops) for c in cs), tta=tta)
        out, r = [], 0
        for cs, (boxes, scores) in zip(crops, found):
            n = len(cs)
            pxy = np.stack([c.inverse(p) for c, p in zip(cs, xy[r:r + n])]) if n else np.zeros((0, k, 2))
            out.append(FoundAnimals(boxes, scores, pxy, conf[r:r + n].reshape(n, k)))
            r += n
        buf.clear()
        return out

    for img in images:
        buf.append(np.asarray(img))
        if len(buf) >= chunk:
            yield from run()
    if buf:
        yield from run()
