"""The learned methods at toy sizes: networks, a few training iterations, resume, apply."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from simgen.dataset import Dataset  # noqa: E402
from simgen.style.apply import apply_style  # noqa: E402
from simgen.style.train import train_style  # noqa: E402

TOY = {"crop": 32, "ngf": 4, "n_blocks": 1, "ndf": 8, "nce_patches": 16, "nce_dim": 16, "checkpoint_every": 2,
       "pool_size": 2}


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # see simgen.style.model.set_threads
    yield
    torch.set_num_threads(before)


def test_patchgan_sees_70x70_patches():
    from simgen.style.networks import PatchDiscriminator

    d = PatchDiscriminator(1, 8)
    # InstanceNorm couples every pixel through its statistics; the conv stack's own
    # receptive field is what "70x70" names
    d.model = torch.nn.Sequential(*[torch.nn.Identity() if isinstance(m, torch.nn.InstanceNorm2d) else m
                                    for m in d.model])
    x = torch.zeros(1, 1, 128, 128, requires_grad=True)
    out = d(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    ys, xs = np.nonzero(x.grad[0, 0].abs().numpy() > 0)
    assert ys.max() - ys.min() + 1 == 70 and xs.max() - xs.min() + 1 == 70


@pytest.mark.parametrize("resize_conv", [True, False])
def test_residual_generator_shapes_and_zero_change_is_identity(resize_conv):
    from simgen.style.model import _padded
    from simgen.style.networks import ResnetGenerator

    g = ResnetGenerator(1, 4, 2, 1, resize_conv=resize_conv)
    x = torch.rand(1, 1, 30, 42) * 2 - 1  # not a multiple of 4: reflect-padded, cropped back
    assert _padded(g, x).shape == x.shape
    torch.nn.init.zeros_(g.model[-2].weight)
    torch.nn.init.zeros_(g.model[-2].bias)
    assert torch.equal(_padded(g, x), x)  # residual output: no change means the input itself
    feats = g.encode(torch.rand(1, 1, 32, 32))
    assert len(feats) == len(g.nce_layers) + 1


def test_losses_are_zero_for_an_unchanged_image_and_see_a_moved_edge():
    from simgen.style.losses import lowfreq_luminance_loss, mask_band_edge_loss, patchnce_loss

    x = torch.zeros(1, 1, 32, 32) - 1
    x[..., 8:24, 8:24] = 1
    band = torch.zeros_like(x)
    band[..., 6:26, 6:26] = 1
    assert mask_band_edge_loss(x, x, band) == 0 and lowfreq_luminance_loss(x, x) == 0
    assert mask_band_edge_loss(torch.roll(x, 2, dims=3), x, band) > 0.1
    f = torch.nn.functional.normalize(torch.randn(16, 8), dim=1)
    assert patchnce_loss(f, f) < patchnce_loss(f, f[torch.randperm(16)])


@pytest.mark.parametrize("method", ["fastcut", "cyclegan"])
def test_train_resume_and_apply(tmp_path, tiny_dataset, tiny_real, method):
    out = tmp_path / method
    r1 = train_style(tiny_dataset, tiny_real, out, method=method, iters=2, overrides=TOY, progress=False)
    assert r1.iters_done == 2 and (out / "generator.pt").is_file() and (out / "checkpoint.pt").is_file()
    assert r1.sheet.is_file()
    first = torch.load(out / "generator.pt", weights_only=True)
    r2 = train_style(tiny_dataset, tiny_real, out, method=method, iters=3, overrides=TOY, progress=False)
    assert r2.iters_done == 3
    assert torch.load(out / "checkpoint.pt", weights_only=False)["iter"] == 3
    second = torch.load(out / "generator.pt", weights_only=True)
    assert any(not torch.equal(first[k], second[k]) for k in first)
    info = json.loads((out / "style.json").read_text())
    assert info["method"] == method and info["iters_done"] == 3 and info["config"]["crop"] == 32

    styled = tmp_path / f"{method}_ds"
    # no gate: a 3-iteration generator may fail it, and this checks the write path on every frame
    rep = apply_style(out, tiny_dataset, styled, lowres=2, gate=False, progress=False)
    src, dst = Dataset(tiny_dataset), Dataset(styled)
    assert rep.written == len(src.frames()) == len(dst.frames()) > 0 and not rep.dropped
    for f in dst.frames():
        assert src.layout.annotation(f).read_bytes() == dst.layout.annotation(f).read_bytes()
        assert dst.load_image("top", f).shape == src.load_image("top", f).shape
