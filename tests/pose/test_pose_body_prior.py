"""The body prior (pose/body_prior.py): fitted from labels, it reads a keypoint's second
peak where the strongest one breaks the body's shape (a snout on the tail base, a left ear
on the right one), and changes nothing where each heatmap has one clear peak."""

import numpy as np
import pytest
import torch

from simgen.pose import body_prior
from simgen.pose.heatmaps import decode, encode

STRIDE = 4
SIZE = (96, 96)  # heatmap cells (h, w) of a 384x384 input
# a mouse seen from above heading up (image y down): snout, left ear, right ear, tail base
MOUSE = np.array([[0.0, -60.0], [-14.0, -38.0], [14.0, -38.0], [0.0, 60.0]])


def _poses(n: int, rng: np.random.Generator) -> np.ndarray:
    """n mice at random headings, scales 0.9-1.1 and places, as (n, 4, 3) labels in input px."""
    a = rng.uniform(0, 2 * np.pi, n)
    rot = np.stack([np.stack([np.cos(a), -np.sin(a)], -1), np.stack([np.sin(a), np.cos(a)], -1)], -2)
    pts = np.einsum("nij,kj->nki", rot, MOUSE) * rng.uniform(0.9, 1.1, (n, 1, 1)) + rng.uniform(150, 230, (n, 1, 2))
    return np.concatenate([pts, np.full((n, 4, 1), 2.0)], axis=-1)


@pytest.fixture(scope="module")
def prior():
    return body_prior.fit(_poses(200, np.random.default_rng(0)), None, STRIDE)


def test_fit_gives_distances_anchors_and_sides(prior):
    mean, sd = np.array(prior["mean"]), np.array(prior["sd"])
    assert mean[0, 3] == pytest.approx(120.0, rel=0.02)  # snout to tail base, the scales' mean 1.0
    assert mean[1, 2] == pytest.approx(28.0, rel=0.03)
    assert np.isinf(np.diag(sd)).all() and (sd[~np.eye(4, dtype=bool)] < 12).all()
    assert sorted(prior["anchors"]) == [0, 3]  # the pair farthest apart frames the body
    side = np.array(prior["side"])
    sign = np.sign(side[1, 0])
    assert sign != 0 and np.sign(side[2, 0]) == -sign  # the two ears on opposite sides
    assert abs(side[1, 0]) == pytest.approx(14 / 120, rel=0.05)
    # a pair never labeled together has no prior; scale augmentation widens the spread
    xyv = _poses(50, np.random.default_rng(1))
    xyv[:, 2, 2] = 0
    lone = body_prior.fit(xyv, (0.8, 1.25), STRIDE)
    assert np.isinf(lone["sd"][1][2]) and np.isinf(lone["sd"][2][1])
    assert lone["sd"][0][3] > body_prior.fit(_poses(50, np.random.default_rng(1)), None, STRIDE)["sd"][0][3] * 1.5


def _heat(peaks: list[list[tuple[float, float, float]]]) -> torch.Tensor:
    """Heatmaps (1, K, h, w) with Gaussian peaks (x, y input px, height) per keypoint."""
    out = torch.zeros(1, len(peaks), *SIZE)
    for k, ps in enumerate(peaks):
        for x, y, hgt in ps:
            h, _, _ = encode(torch.tensor([[[x, y]]]), torch.tensor([[True]]), SIZE, STRIDE, sigma_px=6.0)
            out[0, k] = torch.maximum(out[0, k], hgt * h[0, 0])
    return out


def test_a_snout_on_the_tail_base_and_a_left_ear_on_the_right_are_read_again(prior):
    pose = _poses(1, np.random.default_rng(5))[0, :, :2]
    snout, left, right, tail = pose
    heat = _heat([
        [(*tail, 0.6), (*snout, 0.25)],  # the snout's strongest peak on the tail base
        [(*right, 0.7), (*left, 0.4)],  # the left ear's on the right ear
        [(*right, 0.8)],
        [(*tail, 0.7)],
    ])
    plain, _ = decode(heat, None, STRIDE)
    assert np.linalg.norm(plain[0, 0].numpy() - tail) < 1.5 and np.linalg.norm(plain[0, 1].numpy() - right) < 1.5
    got, conf = body_prior.decode_with_prior(heat, None, STRIDE, prior)
    assert np.abs(got[0].numpy() - pose).max() < 1.5
    assert conf[0, 0] == pytest.approx(0.25, abs=0.03)  # the confidence is the chosen peak's


def test_one_clear_peak_each_reads_as_the_argmax(prior):
    rng = np.random.default_rng(7)
    for pose in _poses(3, rng)[:, :, :2]:
        heat = _heat([[(*p, 0.9)] for p in pose])
        off = torch.randn(1, 8, *SIZE) * 0.2
        a, ca = decode(heat, off, STRIDE)
        b, cb = body_prior.decode_with_prior(heat, off, STRIDE, prior)
        assert torch.allclose(a, b, atol=1e-4) and torch.allclose(ca, cb, atol=1e-6)


def test_many_keypoints_use_coordinate_ascent():
    # 8 keypoints (4 ** 8 combinations > EXACT_COMBINATIONS): a ring of points, one of whose
    # strongest peaks sits on its neighbour's place
    rng = np.random.default_rng(3)
    ring = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], -1) * 80
    labels = np.concatenate([ring[None] + rng.normal(0, 2, (60, 8, 2)) + 190, np.full((60, 8, 1), 2.0)], -1)
    pri = body_prior.fit(labels, None, STRIDE)
    assert body_prior.CANDIDATES ** 8 > body_prior.EXACT_COMBINATIONS
    pose = ring + 190
    peaks = [[(*p, 0.8)] for p in pose]
    peaks[2] = [(*pose[3], 0.7), (*pose[2], 0.3)]
    got, _ = body_prior.decode_with_prior(_heat(peaks), None, STRIDE, pri)
    assert np.abs(got[0].numpy() - pose).max() < 1.5



def test_keypoints_with_no_fixed_geometry_read_as_argmaxes():
    # blobs placed anywhere (the trainer's toy data): no pair's distance nor side is firm
    # enough to outvote a heatmap's strongest peak
    rng = np.random.default_rng(11)
    labels = np.concatenate([rng.uniform(20, 360, (80, 3, 2)), np.full((80, 3, 1), 2.0)], -1)
    pri = body_prior.fit(labels, (0.8, 1.25), STRIDE)
    pts = rng.uniform(40, 340, (3, 2))
    heat = _heat([[(*pts[0], 0.9), (*pts[1], 0.3)], [(*pts[1], 0.8), (*pts[2], 0.4)], [(*pts[2], 0.9)]])
    a, _ = decode(heat, None, STRIDE)
    b, _ = body_prior.decode_with_prior(heat, None, STRIDE, pri)
    assert torch.allclose(a, b, atol=1e-4)
