"""The style model directory and the translator loaded from it.

    MODEL/style.json      format, method, profile, channels, network config, the fitted
                          classic parameters, iterations done, provenance
    MODEL/generator.pt    the translating generator's weights (learned methods)
    MODEL/checkpoint.pt   everything needed to resume training (learned methods)
    MODEL/sheet.png       raw | translated | real frames, full frames and crops

Learned methods refine the classic method's output: the generator's input is the
render after the classic pipeline (tone, noise, blur, JPEG), so the network only has
to learn what statistics cannot express (fur, shadows, sensor texture), and its
residual output starts as the identity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from simgen.choices import StyleMethod, StyleProfile, names
from simgen.errors import SimgenError

STYLE_FORMAT = "simgen-style/1"
Method = StyleMethod
Profile = StyleProfile
METHODS: tuple[StyleMethod, ...] = names(StyleMethod)


class LearnedConfig(BaseModel):
    """Network and training settings of the learned methods (profiles below)."""

    model_config = ConfigDict(extra="forbid")

    crop: int = 128
    ngf: int = 16
    n_down: int = 2
    n_blocks: int = 4
    ndf: int = 32
    resize_conv: bool = True
    batch: int = 1
    lr: float = 2e-4
    cycle_weight: float = 10.0
    identity_weight: float = 0.5
    nce_weight: float = 10.0
    nce_patches: int = 256
    nce_dim: int = 256
    pool_size: int = 50
    edge_weight: float = 10.0
    lum_weight: float = 10.0
    band_px: int = 3
    p_animal: float = 0.75
    checkpoint_every: int = 200


PROFILES: dict[StyleProfile, dict[str, Any]] = {
    # small generator, 128 px crops: minutes on 2 CPU cores
    "cpu": {},
    # the reference sizes of CycleGAN/CUT
    "gpu": {"crop": 256, "ngf": 64, "n_blocks": 9, "ndf": 64, "checkpoint_every": 1000},
}


def profile_config(profile: str, overrides: dict[str, Any] | None = None) -> LearnedConfig:
    if profile not in PROFILES:
        raise SimgenError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    return LearnedConfig(**{**PROFILES[profile], **(overrides or {})})


def read_style_json(model_dir: Path | str) -> dict[str, Any]:
    path = Path(model_dir) / "style.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SimgenError(f"{path}: not found; is {model_dir} a model written by `simgen style train`?") from None
    except json.JSONDecodeError as exc:
        raise SimgenError(f"{path}: not valid JSON ({exc})") from None
    if data.get("format") != STYLE_FORMAT:
        raise SimgenError(f"{path}: format {data.get('format')!r} is not {STYLE_FORMAT!r}")
    if data.get("method") not in METHODS:
        raise SimgenError(f"{path}: unknown method {data.get('method')!r}")
    return data


def write_style_json(model_dir: Path, data: dict[str, Any]) -> Path:
    from simgen.dataset import atomic_write_bytes

    path = Path(model_dir) / "style.json"
    atomic_write_bytes(path, (json.dumps({"format": STYLE_FORMAT, **data}, indent=1) + "\n").encode())
    return path


def set_threads(threads: int | None) -> None:
    """Set torch's intra-op threads. On this project's shared 2-core machine, 2 threads
    under load ran a FastCUT step 60x slower than 1 thread (12 s vs 0.18 s: OpenMP
    workers spinning against other processes), so the CLI defaults to 1."""
    if threads:
        import torch

        torch.set_num_threads(int(threads))


def to_tensor(x: np.ndarray):
    """H x W x C grey levels (float or uint8) -> 1 x C x H x W tensor in [-1, 1]."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None]


def from_tensor(t) -> np.ndarray:
    """1 x C x H x W tensor in [-1, 1] -> H x W x C float32 grey levels."""
    return ((t[0].permute(1, 2, 0).detach().cpu().numpy() + 1.0) * 127.5).astype(np.float32)


def channels_of(rgb_u8: np.ndarray, channels: int) -> np.ndarray:
    from simgen.style.data import to_gray

    return to_gray(rgb_u8)[..., None] if channels == 1 else rgb_u8[..., :3]


class Translator:
    """Translates one RGB uint8 frame; ``rng`` drives the classic noise."""

    def __init__(self, model_dir: Path | str, lowres: int | None = None):
        from simgen.style.classic import ClassicStyle

        self.model_dir = Path(model_dir)
        self.info = read_style_json(self.model_dir)
        self.method: str = self.info["method"]
        self.classic = ClassicStyle.from_json(self.info["classic"])
        self.lowres = int(lowres if lowres is not None else self.info.get("lowres", 1))
        if self.lowres < 1:
            raise SimgenError(f"--lowres must be >= 1 (got {self.lowres})")
        self.generator = None
        if self.method != "classic":
            self.generator = load_generator(self.model_dir, self.info)

    def __call__(self, rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        base = self.classic.apply(rgb, rng)
        if self.generator is None:
            return base
        return run_generator(self.generator, base, int(self.info["channels"]), self.lowres)


def load_generator(model_dir: Path, info: dict[str, Any]):
    import torch

    from simgen.style.networks import ResnetGenerator

    cfg = LearnedConfig(**info["config"])
    g = ResnetGenerator(int(info["channels"]), cfg.ngf, cfg.n_down, cfg.n_blocks, cfg.resize_conv, residual=True)
    path = model_dir / "generator.pt"
    if not path.is_file():
        raise SimgenError(f"{path}: missing; training did not finish (resume it with `simgen style train`)")
    g.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    g.eval()
    return g


def run_generator(g, rgb_u8: np.ndarray, channels: int, lowres: int = 1) -> np.ndarray:
    """Apply the generator fully convolutionally to a whole frame (RGB uint8 in and out).

    With ``lowres`` k > 1 the network sees the frame downscaled k times and only its
    upsampled *change* is added to the full-resolution input, so full-resolution
    edges stay the input's.
    """
    import torch
    import torch.nn.functional as F

    x = channels_of(rgb_u8, channels).astype(np.float32)
    h, w = x.shape[:2]
    with torch.no_grad():
        t = to_tensor(x)
        if lowres > 1:
            small = F.interpolate(t, size=(max(h // lowres, 1), max(w // lowres, 1)), mode="area")
            change = _padded(g, small) - small
            out = torch.clamp(t + F.interpolate(change, size=(h, w), mode="bilinear", align_corners=False), -1, 1)
        else:
            out = _padded(g, t)
    y = np.clip(np.rint(from_tensor(out)), 0, 255).astype(np.uint8)
    if y.shape[2] == 1:
        y = np.repeat(y, 3, axis=2)
    return np.ascontiguousarray(y)


def _padded(g, t):
    """Reflect-pad to the generator's multiple, run it, crop back."""
    import torch.nn.functional as F

    m = g.multiple
    h, w = t.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        t = F.pad(t, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else "replicate")
    return g(t)[..., :h, :w]
