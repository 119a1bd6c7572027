"""Visibility codes and boxes (pure numpy)."""

import numpy as np

from simgen.render.project import mask_bbox, points_bbox, visibility_codes


def test_visibility_codes():
    inside = np.array([True, True, True, False])
    point = np.array([1.0, 1.0, 1.0, 1.0])
    hit = np.array([0.999, 0.5, np.inf, 0.2])
    v = visibility_codes(inside, point, hit, tolerance=0.002)
    assert v.tolist() == [2, 1, 2, 0]


def test_mask_bbox_uses_pixel_edges():
    m = np.zeros((10, 12), np.uint8)
    m[2:5, 3:7] = 1
    m[8, 10] = 2
    assert mask_bbox(m).tolist() == [2.5, 1.5, 6.5, 4.5]
    assert mask_bbox(m, 3) is None


def test_points_bbox_ignores_outside_and_clips():
    xyv = np.array([[1, 2, 2], [5, 9, 1], [100, 100, 0], [-3, 4, 2]], float)
    assert points_bbox(xyv, 20, 20).tolist() == [-0.5, 2, 5, 9]
    assert points_bbox(np.array([[1, 1, 0]]), 5, 5) is None
