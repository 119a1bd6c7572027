import numpy as np
import pytest
import torch

from simgen.pose.heatmaps import decode, encode, to_cells, to_pixels


@pytest.mark.parametrize("stride", [2, 4])
def test_round_trip_with_offsets_is_exact(stride):
    rng = np.random.default_rng(0)
    xy = torch.tensor(rng.uniform(5, 90, (3, 5, 2)), dtype=torch.float32)
    valid = torch.ones(3, 5, dtype=torch.bool)
    heat, off, mask = encode(xy, valid, (96 // stride, 128 // stride), stride, sigma_px=4.0)
    got, conf = decode(heat, off, stride)
    assert (got - xy).abs().max() < 1e-3
    assert (conf > 0.5).all()


@pytest.mark.parametrize("stride", [2, 4])
def test_heatmap_only_decode_is_subpixel(stride):
    rng = np.random.default_rng(1)
    xy = torch.tensor(rng.uniform(8, 88, (4, 6, 2)), dtype=torch.float64)
    valid = torch.ones(4, 6, dtype=torch.bool)
    heat, _, _ = encode(xy, valid, (96 // stride, 96 // stride), stride, sigma_px=2.0 * stride)
    got, _ = decode(heat, None, stride)
    err = (got - xy).norm(dim=-1)
    assert err.max() < 0.1
    # Without refinement the argmax alone is off by up to half a cell.
    coarse, _ = decode(heat, torch.zeros(*heat.shape[:2], 2, *heat.shape[2:]), stride)
    assert (coarse - xy).norm(dim=-1).max() > 0.3


def test_invalid_keypoints_give_empty_heatmaps():
    xy = torch.tensor([[[10.0, 10.0], [float("nan"), float("nan")]]])
    heat, _, mask = encode(xy, torch.tensor([[True, False]]), (24, 32), 4, 4.0)
    assert heat[0, 0].max() == pytest.approx(1.0, abs=0.05)
    assert heat[0, 1].max() == 0 and mask[0, 1].sum() == 0


def test_cell_pixel_mapping():
    # Cell 0 at stride 4 covers pixels 0..3, centered on 1.5.
    assert float(to_pixels(torch.tensor(0.0), 4)) == 1.5
    assert float(to_cells(torch.tensor(1.5), 4)) == 0.0
