"""Networks for the learned methods (torch; import this module lazily).

- ``ResnetGenerator``: the CycleGAN/CUT generator (Johnson et al.): 7x7 stem, stride-2
  downsampling, residual blocks, upsampling, 7x7 head; reflect padding and
  InstanceNorm throughout. Upsampling is transposed convolution or, with
  ``resize_conv``, nearest-neighbour resize + 3x3 convolution (no checkerboard).
  With ``residual`` the output is ``input + change`` (tanh-bounded change, clamped to
  the image range), so an untrained or weakly trained generator is the identity and
  geometry has to be actively destroyed rather than actively rebuilt.
- ``PatchDiscriminator``: the 70x70 PatchGAN (3 stride-2 layers).
- ``PatchSampleMLP``: CUT's projection head for PatchNCE (one 2-layer MLP per layer).
Images are tensors in [-1, 1], N x C x H x W.
"""

from __future__ import annotations

import torch
from torch import nn


def _norm(ch: int) -> nn.Module:
    return nn.InstanceNorm2d(ch, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), _norm(ch), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), _norm(ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    def __init__(self, channels: int = 1, ngf: int = 16, n_down: int = 2, n_blocks: int = 4,
                 resize_conv: bool = True, residual: bool = True):
        super().__init__()
        self.residual = residual
        self.n_down = n_down
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7), _norm(ngf), nn.ReLU(True)]
        ch = ngf
        for _ in range(n_down):
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(ch, ch * 2, 3, stride=2), _norm(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResnetBlock(ch) for _ in range(n_blocks)]
        for _ in range(n_down):
            if resize_conv:
                layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.ReflectionPad2d(1),
                           nn.Conv2d(ch, ch // 2, 3)]
            else:
                layers += [nn.ConvTranspose2d(ch, ch // 2, 3, stride=2, padding=1, output_padding=1)]
            layers += [_norm(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        # outputs PatchNCE compares (besides the input pixels): the stem, each
        # downsampling step, the middle and the last residual block (CUT's choice)
        stem = 3  # pad, conv, norm, relu
        downs = [stem + 4 * (i + 1) for i in range(n_down)]
        first_block = (downs[-1] if n_down else stem) + 1
        self.nce_layers = sorted({stem, *downs, first_block + max(n_blocks // 2 - 1, 0), first_block + n_blocks - 1})

    @property
    def multiple(self) -> int:
        return 2 ** self.n_down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        if self.residual:
            # change in [-1, 1] on an image in [-1, 1]: any grey level stays reachable
            return torch.clamp(x + out, -1.0, 1.0)
        return out

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The input followed by the outputs of ``nce_layers``."""
        feats = [x]
        h = x
        for i, layer in enumerate(self.model):
            h = layer(h)
            if i in self.nce_layers:
                feats.append(h)
            if i >= self.nce_layers[-1]:
                break
        return feats


class PatchDiscriminator(nn.Module):
    """70x70 PatchGAN: each output logit sees a 70x70 input patch."""

    def __init__(self, channels: int = 1, ndf: int = 32, n_layers: int = 3):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1), _norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1), _norm(ndf * mult), nn.LeakyReLU(0.2, True),
                   nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PatchSampleMLP(nn.Module):
    """Samples patch features at shared random positions and projects them (CUT's F)."""

    def __init__(self, in_channels: list[int], nc: int = 256):
        super().__init__()
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(c, nc), nn.ReLU(True), nn.Linear(nc, nc)) for c in in_channels
        )

    def forward(self, feats: list[torch.Tensor], num_patches: int, ids: list[torch.Tensor] | None = None,
                generator: torch.Generator | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        out, out_ids = [], []
        for k, (f, mlp) in enumerate(zip(feats, self.mlps)):
            n, c, h, w = f.shape
            flat = f.permute(0, 2, 3, 1).reshape(n, h * w, c)
            if ids is None:
                idx = torch.randperm(h * w, generator=generator)[: min(num_patches, h * w)]
            else:
                idx = ids[k]
            x = mlp(flat[:, idx, :].reshape(-1, c))
            out.append(nn.functional.normalize(x, dim=1))
            out_ids.append(idx)
        return out, out_ids


def init_weights(net: nn.Module, gen: torch.Generator, gain: float = 0.02) -> None:
    """Normal(0, 0.02) init of conv/linear weights (the CycleGAN default), from ``gen``."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * gain)
                if m.bias is not None:
                    m.bias.zero_()


def encoder_channels(gen: ResnetGenerator) -> list[int]:
    with torch.no_grad():
        x = torch.zeros(1, gen.model[1].in_channels, 4 * gen.multiple, 4 * gen.multiple)
        return [f.shape[1] for f in gen.encode(x)]
