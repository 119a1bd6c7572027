"""FastCUT (Park et al. 2020): one residual generator, one 70x70 PatchGAN, PatchNCE.

No second generator and no cycle: content is kept by PatchNCE (weight 10, 256 patches
per layer, temperature 0.07, no identity NCE, as in FastCUT), plus the geometry terms
of losses.py. LSGAN, Adam 2e-4 with betas (0.5, 0.999), linear decay as CycleGAN.
"""

from __future__ import annotations

import torch

from simgen.style.losses import lowfreq_luminance_loss, lsgan_loss, mask_band_edge_loss, patchnce_loss
from simgen.style.networks import PatchDiscriminator, PatchSampleMLP, ResnetGenerator, encoder_channels, init_weights


class FastCUT:
    def __init__(self, cfg, channels: int, gen: torch.Generator):
        self.cfg, self.gen = cfg, gen
        self.G = ResnetGenerator(channels, cfg.ngf, cfg.n_down, cfg.n_blocks, cfg.resize_conv, residual=True)
        self.D = PatchDiscriminator(channels, cfg.ndf)
        self.F = PatchSampleMLP(encoder_channels(self.G), cfg.nce_dim)
        for net in (self.G, self.D, self.F):
            init_weights(net, gen)
        betas = (0.5, 0.999)
        self.opt_G = torch.optim.Adam(list(self.G.parameters()) + list(self.F.parameters()), cfg.lr, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), cfg.lr, betas=betas)

    @property
    def optimizers(self):
        return [self.opt_G, self.opt_D]

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D, "F": self.F}

    def nce(self, src: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        feat_k = self.G.encode(src)
        feat_q = self.G.encode(out)
        pk, ids = self.F(feat_k, self.cfg.nce_patches, generator=self.gen)
        pq, _ = self.F(feat_q, self.cfg.nce_patches, ids=ids)
        return sum(patchnce_loss(q, k) for q, k in zip(pq, pk)) / len(pq)

    def step(self, a: torch.Tensor, b: torch.Tensor, band: torch.Tensor) -> dict[str, float]:
        c = self.cfg
        fake = self.G(a)
        self.D.requires_grad_(True)
        loss_D = 0.5 * (lsgan_loss(self.D(b), True) + lsgan_loss(self.D(fake.detach()), False))
        self.opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        self.opt_D.step()

        self.D.requires_grad_(False)
        loss_gan = lsgan_loss(self.D(fake), True)
        loss_nce = self.nce(a, fake)
        loss_edge = mask_band_edge_loss(fake, a, band)
        loss_lum = lowfreq_luminance_loss(fake, a)
        loss_G = loss_gan + c.nce_weight * loss_nce + c.edge_weight * loss_edge + c.lum_weight * loss_lum
        self.opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        self.opt_G.step()
        return {"G": float(loss_gan.detach()), "nce": float(loss_nce.detach()), "edge": float(loss_edge.detach()),
                "lum": float(loss_lum.detach()), "D": float(loss_D.detach())}
