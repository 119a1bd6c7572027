"""CycleGAN (Zhu et al. 2017), the reference design, with the geometry terms of losses.py.

Two residual ResNet generators (A = synthetic, B = real), two 70x70 PatchGANs, LSGAN,
cycle weight 10, identity weight 0.5 (of the cycle weight), Adam 2e-4 with betas
(0.5, 0.999), a 50-image pool of past fakes for each discriminator, and a learning
rate that is constant for the first half of training and decays linearly to 0.
"""

from __future__ import annotations

import torch

from simgen.style.losses import lowfreq_luminance_loss, lsgan_loss, mask_band_edge_loss
from simgen.style.networks import PatchDiscriminator, ResnetGenerator, init_weights


class ImagePool:
    """Shrivastava et al.'s history of generated images, with an explicit generator."""

    def __init__(self, size: int, gen: torch.Generator):
        self.size, self.gen, self.images = size, gen, []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for img in images.detach():
            img = img[None]
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif torch.rand(1, generator=self.gen).item() < 0.5:
                i = int(torch.randint(len(self.images), (1,), generator=self.gen))
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.cat(out)


class CycleGAN:
    def __init__(self, cfg, channels: int, gen: torch.Generator):
        def G():
            g = ResnetGenerator(channels, cfg.ngf, cfg.n_down, cfg.n_blocks, cfg.resize_conv, residual=True)
            init_weights(g, gen)
            return g

        def D():
            d = PatchDiscriminator(channels, cfg.ndf)
            init_weights(d, gen)
            return d

        self.cfg = cfg
        self.G, self.G_BA, self.D_B, self.D_A = G(), G(), D(), D()
        betas = (0.5, 0.999)
        self.opt_G = torch.optim.Adam(list(self.G.parameters()) + list(self.G_BA.parameters()), cfg.lr, betas=betas)
        self.opt_D = torch.optim.Adam(list(self.D_A.parameters()) + list(self.D_B.parameters()), cfg.lr, betas=betas)
        self.pool_A, self.pool_B = ImagePool(cfg.pool_size, gen), ImagePool(cfg.pool_size, gen)

    @property
    def optimizers(self):
        return [self.opt_G, self.opt_D]

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "G_BA": self.G_BA, "D_A": self.D_A, "D_B": self.D_B}

    def step(self, a: torch.Tensor, b: torch.Tensor, band: torch.Tensor) -> dict[str, float]:
        c = self.cfg
        fake_b = self.G(a)
        fake_a = self.G_BA(b)
        rec_a = self.G_BA(fake_b)
        rec_b = self.G(fake_a)
        for d in (self.D_A, self.D_B):
            d.requires_grad_(False)
        loss_gan = lsgan_loss(self.D_B(fake_b), True) + lsgan_loss(self.D_A(fake_a), True)
        loss_cyc = (rec_a - a).abs().mean() + (rec_b - b).abs().mean()
        loss_idt = (self.G(b) - b).abs().mean() + (self.G_BA(a) - a).abs().mean()
        loss_edge = mask_band_edge_loss(fake_b, a, band)
        loss_lum = lowfreq_luminance_loss(fake_b, a)
        loss_G = (loss_gan + c.cycle_weight * loss_cyc + c.identity_weight * c.cycle_weight * loss_idt
                  + c.edge_weight * loss_edge + c.lum_weight * loss_lum)
        self.opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        self.opt_G.step()

        for d in (self.D_A, self.D_B):
            d.requires_grad_(True)
        pb, pa = self.pool_B.query(fake_b), self.pool_A.query(fake_a)
        loss_D = 0.5 * (lsgan_loss(self.D_B(b), True) + lsgan_loss(self.D_B(pb), False)
                        + lsgan_loss(self.D_A(a), True) + lsgan_loss(self.D_A(pa), False))
        self.opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        self.opt_D.step()
        return {"G": float(loss_gan.detach()), "cyc": float(loss_cyc.detach()), "edge": float(loss_edge.detach()),
                "lum": float(loss_lum.detach()), "D": float(loss_D.detach())}
