"""KID, C2ST, the geometry measures and the gate, on generated data."""

from __future__ import annotations

import numpy as np
from style_fixtures import blob_frame

from simgen.style.metrics import (
    c2st_accuracy,
    classic_features,
    cnn_features,
    flow_drift,
    gate,
    kid,
    mmd2_unbiased,
    silhouette_iou,
)


def test_kid_is_about_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 32)), rng.normal(size=(300, 32))
    same, _ = kid(x, y, rng, subsets=20, subset_size=100)
    shifts = [kid(x, y + s, rng, subsets=20, subset_size=100)[0] for s in (0.25, 0.5, 1.0)]
    assert abs(same) < 0.01
    assert shifts[0] > 5 * abs(same) and shifts[0] < shifts[1] < shifts[2]


def test_mmd_estimator_is_unbiased_around_zero():
    rng = np.random.default_rng(1)
    vals = [mmd2_unbiased(rng.normal(size=(50, 8)), rng.normal(size=(50, 8))) for _ in range(40)]
    assert abs(np.mean(vals)) < 3 * np.std(vals) / np.sqrt(len(vals))  # centred on 0, unlike the biased one
    assert min(vals) < 0 < max(vals)


def _images(rng, n, floor, noise):
    out = []
    for _ in range(n):
        rgb, _ = blob_frame(rng, rng.uniform(24, 72), rng.uniform(20, 52), floor=floor)
        out.append(np.clip(rgb + rng.normal(0, noise, rgb.shape), 0, 255).astype(np.uint8))
    return out


def test_kid_on_both_feature_sets_separates_a_restyled_set():
    rng = np.random.default_rng(2)
    a, b = _images(rng, 24, 200, 2), _images(rng, 24, 200, 2)
    c = _images(rng, 24, 150, 12)  # darker floor, much noisier
    for feats in (cnn_features, classic_features):
        fa, fb, fc = feats(a), feats(b), feats(c)
        same = kid(fa, fb, np.random.default_rng(0), subsets=10, subset_size=12)[0]
        shifted = kid(fa, fc, np.random.default_rng(0), subsets=10, subset_size=12)[0]
        assert shifted > 10 * max(abs(same), 1e-6), feats.__name__


def test_cnn_features_are_fixed_by_the_seed():
    img = _images(np.random.default_rng(3), 2, 200, 2)
    assert np.array_equal(cnn_features(img), cnn_features(img))
    assert not np.allclose(cnn_features(img, seed=0), cnn_features(img, seed=1))


def test_c2st_is_chance_for_one_distribution_and_high_for_two():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(100, 10)), rng.normal(size=(100, 10))
    assert 0.35 < c2st_accuracy(x, y, rng) < 0.65
    assert c2st_accuracy(x, y + 1.0, rng) > 0.9


def test_gate_rejects_a_frame_shifted_by_3px_and_keeps_a_tone_change():
    rgb, mask = blob_frame(np.random.default_rng(5), 48, 36)
    animal = mask == 1
    shifted = np.roll(rgb, 3, axis=1)
    res = gate(rgb, shifted, animal)
    assert not res.keep
    assert 2.0 < res.drift_px < 4.0
    assert res.iou < 0.95
    # a strong monotone tone change (gamma, gain, grey) moves nothing
    toned = (255 * (rgb.astype(float).mean(axis=2, keepdims=True) / 255) ** 1.8 * 0.9).repeat(3, axis=2)
    res = gate(rgb, toned.astype(np.uint8), animal)
    assert res.keep, res
    assert res.drift_px < 0.5 and res.iou > 0.97
    assert gate(rgb, rgb, animal).drift_px < 0.01


def test_flow_drift_measures_sub_pixel_shifts():
    import cv2

    rgb, mask = blob_frame(np.random.default_rng(6), 48, 36)
    m = np.float32([[1, 0, 1.0], [0, 1, 0]])
    moved = cv2.warpAffine(rgb, m, (rgb.shape[1], rgb.shape[0]), borderMode=cv2.BORDER_REFLECT)
    assert 0.6 < flow_drift(rgb, moved, mask == 1) < 1.4
    assert silhouette_iou(rgb, rgb, mask == 1) == 1.0
