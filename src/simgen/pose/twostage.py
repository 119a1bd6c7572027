"""One animal, two stages: a whole-image model finds it, a crop model places its keypoints.

``simgen pose train`` with ``--topdown-margin`` on sources of one animal trains a *crop
model*: every training image is cut to the box of its labeled keypoints, grown by the
margin on every side and made square (pose/topdown.py's crops), then letterboxed into the
model's input. The animal then fills the input whatever its size in the image, so a small
input sees it finer than a whole-image model does: the open field's 640x480 frames reach
the default 320x256 whole-image model at half their resolution, and a crop of the mouse
reaches a 160x160 crop model at about its own.

At prediction the crop's box comes from a *detector*: any whole-image model, the box of
its predicted keypoints. A detector that misplaces one keypoint can shrink that box (the
tail base put on the head gives a box of the head), so each box is grown about its center
to at least ``MIN_SIDE_SHARE`` of the median box side over the frames predicted together,
and the crop still holds the whole animal. Without a detector, ``evaluate`` uses the
labels' own keypoint boxes (oracle boxes, said so in its metrics).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from simgen.errors import SimgenError

MIN_SIDE_SHARE = 0.8
CHUNK = 256  # frames predicted together (the detector's boxes share one median)


def check_pair(model, detector) -> None:
    if not model.is_crop_model:
        raise SimgenError("--detector goes with a crop model of one animal (trained with --topdown-margin "
                          "on sources of one animal)")
    if detector.topdown:
        raise SimgenError("the detector must be a whole-image model (trained without --topdown-margin)")


def detector_boxes(xy: np.ndarray, min_share: float = MIN_SIDE_SHARE) -> np.ndarray:
    """(N, K, 2) keypoints predicted by the detector -> (N, 4) boxes (x0, y0, x1, y1), each
    grown about its center so its longer side is at least ``min_share`` x the median."""
    xy = np.asarray(xy, float)
    lo, hi = xy.min(axis=1), xy.max(axis=1)
    side = (hi - lo).max(axis=1)
    floor = min_share * float(np.median(side)) if len(side) else 0.0
    centre = (lo + hi) / 2
    half = (hi - lo) / 2
    small = side < floor
    half[small] = np.maximum(half[small], floor / 2)
    return np.concatenate([centre - half, centre + half], axis=1)


def _chunks(images: Iterable[np.ndarray], n: int) -> Iterator[list[np.ndarray]]:
    batch: list[np.ndarray] = []
    for img in images:
        batch.append(np.asarray(img))
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def predict_two_stage(model, detector, images: Iterable[np.ndarray], chunk: int = CHUNK, tta: bool = False,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 images -> xy (N, K, 2) in their pixels and likelihood (N, K): the detector's
    box of each image, then ``model`` on its crop (``tta``: both stages, ``predict_images``)."""
    from simgen.pose.predict import predict_images
    from simgen.pose.topdown import crop_for_box, model_margin

    check_pair(model, detector)
    margin = model_margin(model)
    xy_all, conf_all = [], []
    for imgs in _chunks(images, chunk):
        det_xy, _ = predict_images(detector, imgs, tta=tta)
        crops = [crop_for_box(b, (im.shape[1], im.shape[0]), margin)
                 for b, im in zip(detector_boxes(det_xy), imgs)]
        xy, conf = predict_images(model, [c.cut(im) for c, im in zip(crops, imgs)], tta=tta)
        xy_all += [c.inverse(p) for c, p in zip(crops, xy)]
        conf_all.append(conf)
    k = len(model.keypoints)
    if not xy_all:
        return np.zeros((0, k, 2)), np.zeros((0, k))
    return np.stack(xy_all), np.concatenate(conf_all)
