import numpy as np
import torch

from simgen.pose.augment import affine_matrices, augment, warp
from simgen.pose.config import AugmentConfig
from simgen.pose.data import infer_swap_pairs, swap_permutation


def _blobs(points, size=(80, 60)):
    """(1, 3, H, W) image with a Gaussian blob per point in its own channel."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((1, 3, h, w), np.float32)
    for c, (x, y) in enumerate(points):
        img[0, c] = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.0**2))
    return torch.from_numpy(img)


def _centroid(a: torch.Tensor) -> np.ndarray:
    h, w = a.shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=a.dtype), torch.arange(w, dtype=a.dtype), indexing="ij")
    return np.array([float((a * xx).sum() / a.sum()), float((a * yy).sum() / a.sum())])


def test_flip_swaps_left_and_right():
    names = ["leftear", "rightear", "snout"]
    pairs = infer_swap_pairs(names)
    assert pairs == [("leftear", "rightear")]
    swap = swap_permutation(names, pairs)
    pts = [(20.0, 30.0), (50.0, 25.0), (40.0, 40.0)]
    img = _blobs(pts)
    xyv = torch.tensor([[[*p, 2.0] for p in pts]])
    cfg = AugmentConfig(rotation_deg=0, scale=(1, 1), translate=0, flip=1.0)
    mats, flips = affine_matrices(1, (80, 60), cfg, np.random.default_rng(0))
    assert flips.all()
    out, kp = warp(img, xyv, mats, flips, swap)
    # Mirror about the image's vertical center line: x -> 79 - x.
    assert np.allclose(kp[0, 0, :2].numpy(), [79 - 50.0, 25.0], atol=1e-4)  # new "leftear" = old right
    assert np.allclose(kp[0, 1, :2].numpy(), [79 - 20.0, 30.0], atol=1e-4)
    assert np.allclose(kp[0, 2, :2].numpy(), [79 - 40.0, 40.0], atol=1e-4)
    # Image and labels moved together: channel 0 (old left blob) sits at the new right label.
    assert np.allclose(_centroid(out[0, 0]), kp[0, 1, :2].numpy(), atol=0.05)


def test_affine_moves_image_and_keypoints_together():
    pts = [(30.3, 22.7), (45.1, 35.6), (38.0, 28.0)]
    img = _blobs(pts)
    xyv = torch.tensor([[[*p, 2.0] for p in pts]])
    cfg = AugmentConfig(rotation_deg=40, scale=(0.8, 1.2), translate=0.05, flip=0.0)
    mats, flips = affine_matrices(1, (80, 60), cfg, np.random.default_rng(3))
    out, kp = warp(img, xyv, mats, flips, [0, 1, 2])
    for c in range(3):
        assert np.allclose(_centroid(out[0, c]), kp[0, c, :2].numpy(), atol=0.1)


def test_keypoints_pushed_outside_become_unlabeled_and_photometry_keeps_range():
    img = torch.rand(2, 3, 60, 80)
    xyv = torch.tensor([[[1.0, 1.0, 2.0]], [[40.0, 30.0, 2.0]]])
    mats = np.stack([np.array([[1, 0, -20], [0, 1, 0], [0, 0, 1.0]]), np.eye(3)])
    _, kp = warp(img, xyv, mats, np.zeros(2, bool), [0])
    assert kp[0, 0, 2] == 0 and torch.isnan(kp[0, 0, 0])
    assert kp[1, 0, 2] == 2
    out, _ = augment(img, xyv, AugmentConfig(blur_p=1, noise_p=1, cutout_p=1), [0], np.random.default_rng(0))
    assert out.shape == img.shape and out.min() >= 0 and out.max() <= 1
    assert not torch.allclose(out, img)
