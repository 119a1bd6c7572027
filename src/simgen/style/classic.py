"""The classic method: the real video's image statistics, fitted and re-applied to renders.

No pixel moves: every step is a per-pixel map, a spatially smooth gain, a small
isotropic blur, additive noise or JPEG re-encoding, so labels stay exact by
construction. It is the baseline the learned methods must beat.

Pipeline (``ClassicStyle.apply``), in the order a camera produces these effects:
  1. sRGB encoding when the input is linear (simgen's PNGs are already sRGB: Blender's
     "Standard" view transform), then grayscale when the real video is mono;
  2. illumination x vignetting: a smooth gain field, the ratio of the real video's median
     background to the renders' median background, split into a radial vignetting
     polynomial (in r^2, r^4) and the remaining low-frequency illumination;
  3. histogram matching: a lookup table taking the (gained) renders' grey-level CDF to
     the real frames' CDF; real frames are lightly smoothed first so that the table
     does not try to reproduce sensor noise, which step 5 adds;
  4. optical blur (Gaussian sigma), 5. sensor noise with intensity-dependent variance
     (a + b * I, estimated from the real frames), 6. JPEG re-encoding.
Blur sigma, a noise scale and the JPEG quality are picked by a small grid search that
matches the radially averaged log power spectrum of the real frames' luminance (not
the scoring features, so the fit is not tuned to the metric).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from simgen.imageops import linear_to_srgb
from simgen.style.data import to_gray

GRID = (48, 64)  # rows, cols of the stored gain fields
BLUR_GRID = (0.0, 0.5, 0.8, 1.1, 1.5, 2.0)
NOISE_SCALE_GRID = (0.5, 1.0, 1.5, 2.0)
JPEG_GRID = (0, 95, 85, 70, 50)  # 0: no JPEG


@dataclass
class ClassicStyle:
    mono: bool
    vignette: list[float]  # log-gain coefficients c1, c2 of r^2, r^4 (r = 1 at the corners)
    illumination: list[list[float]]  # GRID gain field (low frequency, vignetting removed)
    lut: list[list[float]]  # one 256-entry table (mono) or three (R, G, B)
    blur_sigma: float = 0.0
    noise_a: float = 0.0  # noise variance = noise_scale * (a + b * I), I in grey levels
    noise_b: float = 0.0
    noise_scale: float = 1.0
    jpeg_quality: int = 0
    linear_input: bool = False
    fit_info: dict[str, Any] = field(default_factory=dict)

    # -- serialization ----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClassicStyle:
        return cls(**d)

    # -- application ------------------------------------------------------------------
    def gain_field(self, h: int, w: int) -> np.ndarray:
        import cv2

        illum = cv2.resize(np.asarray(self.illumination, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        return illum * vignette_field(h, w, self.vignette)

    def tone(self, rgb: np.ndarray) -> np.ndarray:
        """Steps 1-3 (deterministic): float32 HxWxC in grey levels, C = 1 when mono."""
        x = rgb[..., :3].astype(np.float32)
        if self.linear_input:
            x = 255.0 * linear_to_srgb(x / 255.0)
        x = to_gray(x)[..., None] if self.mono else x
        x = x * self.gain_field(*x.shape[:2])[..., None]
        out = np.empty_like(x)
        for c in range(x.shape[2]):
            lut = np.asarray(self.lut[min(c, len(self.lut) - 1)], np.float32)
            out[..., c] = np.interp(x[..., c], np.arange(256, dtype=np.float32), lut)
        return out

    def degrade(self, x: np.ndarray, rng: np.random.Generator, blur_sigma: float | None = None,
                noise_scale: float | None = None, jpeg_quality: int | None = None) -> np.ndarray:
        """Steps 4-6 on the output of ``tone``; returns RGB uint8."""
        import cv2

        sigma = self.blur_sigma if blur_sigma is None else blur_sigma
        scale = self.noise_scale if noise_scale is None else noise_scale
        q = self.jpeg_quality if jpeg_quality is None else jpeg_quality
        if sigma > 0:
            x = cv2.GaussianBlur(x, (0, 0), sigma).reshape(x.shape)
        var = scale * np.maximum(self.noise_a + self.noise_b * x, 0.0)
        x = x + rng.standard_normal(x.shape, dtype=np.float32) * np.sqrt(var).astype(np.float32)
        u8 = np.clip(np.rint(x), 0, 255).astype(np.uint8)
        if q:
            ok, buf = cv2.imencode(".jpg", u8 if u8.shape[2] == 1 else u8[..., ::-1],
                                   [cv2.IMWRITE_JPEG_QUALITY, int(q)])
            dec = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
            u8 = dec[..., None] if dec.ndim == 2 else dec[..., ::-1]
        if u8.shape[2] == 1:
            u8 = np.repeat(u8, 3, axis=2)
        return np.ascontiguousarray(u8)

    def apply(self, rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.degrade(self.tone(rgb), rng)


# -- fitting ------------------------------------------------------------------------------
def fit_classic(real: list[np.ndarray], synthetic: list[np.ndarray], rng: np.random.Generator,
                mono: bool | None = None, linear_input: bool = False, search_frames: int = 6) -> ClassicStyle:
    """Fit every parameter of the classic pipeline to real frames (RGB uint8) and renders."""
    import cv2

    from simgen.style.data import is_mono

    mono = is_mono(real) if mono is None else mono
    h, w = synthetic[0].shape[:2]

    def chans(imgs: list[np.ndarray]) -> np.ndarray:  # N x H x W x C float32
        out = []
        for im in imgs:
            x = im[..., :3].astype(np.float32)
            if x.shape[:2] != (h, w):
                x = cv2.resize(x, (w, h), interpolation=cv2.INTER_AREA)
            out.append(to_gray(x)[..., None] if mono else x)
        return np.stack(out)

    real_c = chans(real)
    syn_in = [im[..., :3].astype(np.float32) for im in synthetic]
    if linear_input:
        syn_in = [255.0 * linear_to_srgb(x / 255.0) for x in syn_in]
    syn_c = chans([np.clip(x, 0, 255) for x in syn_in])

    # 2. gain = median real background / median render background, low frequency only
    def background(stack: np.ndarray) -> np.ndarray:
        lum = stack.mean(axis=3)
        med = np.median(lum, axis=0)
        small = cv2.resize(med, (GRID[1], GRID[0]), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small, (0, 0), 2.0)

    gain = np.clip(background(real_c) / np.maximum(background(syn_c), 1.0), 0.25, 4.0)
    vig = fit_vignette(gain)
    illum = gain / vignette_field(*GRID, vig)

    model = ClassicStyle(mono=mono, vignette=vig, illumination=illum.tolist(), lut=[], linear_input=linear_input)
    gained = syn_c * model.gain_field(h, w)[None, :, :, None]

    # 3. histogram matching against lightly smoothed real frames (noise is added later)
    real_smooth = np.stack([cv2.GaussianBlur(x, (0, 0), 1.0).reshape(x.shape) for x in real_c])
    model.lut = [match_lut(gained[..., c], real_smooth[..., c]) for c in range(real_c.shape[3])]

    # 5. noise variance as a function of intensity
    a, b = estimate_noise(real_c.mean(axis=3))
    model.noise_a, model.noise_b = a, b

    # 4-6. blur, noise scale and JPEG quality by matching the log power spectrum
    pick = np.linspace(0, len(synthetic) - 1, min(search_frames, len(synthetic))).round().astype(int)
    toned = [model.tone(np.clip(syn_in[i], 0, 255).astype(np.uint8)) for i in pick]
    target = np.mean([log_spectrum(x.mean(axis=2)) for x in real_c[: max(search_frames * 2, 1)]], axis=0)
    best = None
    for sigma in BLUR_GRID:
        for scale in NOISE_SCALE_GRID:
            for q in JPEG_GRID:
                spec = np.mean([log_spectrum(to_gray(model.degrade(t, rng, sigma, scale, q)))
                                for t in toned], axis=0)
                err = float(np.mean((spec - target)[len(target) // 4:] ** 2))
                if best is None or err < best[0]:
                    best = (err, sigma, scale, q)
    assert best is not None
    model.blur_sigma, model.noise_scale, model.jpeg_quality = float(best[1]), float(best[2]), int(best[3])
    model.fit_info = {"real_frames": len(real), "synthetic_frames": len(synthetic),
                      "spectrum_mse": best[0], "gain_range": [float(gain.min()), float(gain.max())]}
    return model


def vignette_field(h: int, w: int, coeffs: list[float]) -> np.ndarray:
    """exp(c1 r^2 + c2 r^4), r the distance from the image centre, 1 at the corners."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - (w - 1) / 2) ** 2 + (yy - (h - 1) / 2) ** 2) / (((w - 1) / 2) ** 2 + ((h - 1) / 2) ** 2)
    c1, c2 = coeffs
    return np.exp(c1 * r2 + c2 * r2 * r2).astype(np.float32)


def fit_vignette(gain: np.ndarray) -> list[float]:
    """Least-squares radial part of log(gain) (the constant goes to the illumination field)."""
    h, w = gain.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r2 = ((xx - (w - 1) / 2) ** 2 + (yy - (h - 1) / 2) ** 2) / (((w - 1) / 2) ** 2 + ((h - 1) / 2) ** 2)
    A = np.stack([np.ones(r2.size), r2.ravel(), (r2 ** 2).ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(A, np.log(gain).ravel(), rcond=None)
    return [float(coef[1]), float(coef[2])]


def match_lut(source: np.ndarray, target: np.ndarray) -> list[float]:
    """256-entry table mapping grey levels of ``source`` so their CDF follows ``target``'s.

    Source values are continuous (the gain makes them so); the table is indexed by
    integer levels and applied with linear interpolation.
    """
    src = np.clip(source.ravel(), 0, 255)
    tgt = np.clip(target.ravel(), 0, 255)
    q = np.linspace(0, 1, 1025)
    sq, tq = np.quantile(src, q), np.quantile(tgt, q)
    sq = np.maximum.accumulate(sq + np.arange(sq.size) * 1e-6)  # strictly increasing for interp
    lut = np.interp(np.arange(256, dtype=np.float64), sq, tq)
    return [float(v) for v in np.clip(lut, 0, 255)]


def estimate_noise(gray: np.ndarray, bins: int = 8) -> tuple[float, float]:
    """Noise variance a + b * I of real frames (N x H x W grey levels).

    Immerkaer's Laplacian-difference estimator, per intensity bin, over pixels whose
    neighbourhood is flat (lowest gradient third), then a least-squares line.
    """
    import cv2

    kern = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    levels, variances = [], []
    for g in gray[: min(len(gray), 16)]:
        g = g.astype(np.float32)
        lap = np.abs(cv2.filter2D(g, -1, kern))[1:-1, 1:-1]
        smooth = cv2.GaussianBlur(g, (0, 0), 2.0)[1:-1, 1:-1]
        grad = cv2.GaussianBlur(np.hypot(cv2.Sobel(g, -1, 1, 0), cv2.Sobel(g, -1, 0, 1)), (0, 0), 2.0)[1:-1, 1:-1]
        flat = grad < np.quantile(grad, 0.33)
        edges = np.linspace(0, 256, bins + 1)
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = flat & (smooth >= lo) & (smooth < hi)
            if sel.sum() < 500:
                continue
            sigma = np.sqrt(np.pi / 2) / 6.0 * float(lap[sel].mean())
            levels.append(float(smooth[sel].mean()))
            variances.append(sigma ** 2)
    if not levels:
        return 0.0, 0.0
    if len(set(np.round(levels))) < 2:
        return float(np.mean(variances)), 0.0
    b, a = np.polyfit(levels, variances, 1)
    if b < 0:  # a decreasing variance is not a sensor model; keep the mean
        return float(np.mean(variances)), 0.0
    return float(max(a, 0.0)), float(b)


def log_spectrum(gray: np.ndarray, nbins: int = 32) -> np.ndarray:
    """Radially averaged log power spectrum of a grey image (mean removed, Hann window)."""
    g = gray.astype(np.float64)
    g = g - g.mean()
    h, w = g.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    p = np.abs(np.fft.rfft2(g * win)) ** 2
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    r = np.sqrt(fx ** 2 + fy ** 2) / 0.5
    idx = np.clip((r * nbins).astype(int), 0, nbins)
    sums = np.bincount(idx.ravel(), p.ravel(), nbins + 1)[:nbins]
    counts = np.bincount(idx.ravel(), None, nbins + 1)[:nbins]
    return np.log(sums / np.maximum(counts, 1) + 1e-6)
