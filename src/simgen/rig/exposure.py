"""Floor brightness over the video -> the light energy range of the scene.

Rendered brightness is linear in the light energy (and the world's strength), so
one calibration render at a known energy maps the real floor's brightness onto an
energy; the spread of the per-frame floor brightness (5th..95th percentile of
frames, animal masked out) becomes the energy's range. Without a calibration render,
``REFERENCE`` (measured with the arena scene ``scene_writer`` writes: see
docs/rig-from-video.md) stands in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.imageops import srgb_to_linear


def linear_of_8bit(v) -> np.ndarray:
    """8-bit sRGB grey levels (0..255) -> linear light (0..1), float64."""
    return srgb_to_linear(np.asarray(v, float) / 255.0)


@dataclass
class FloorStats:
    plate_linear: float  # mean linear floor brightness of the plate (0..1)
    plate_srgb: float  # the same in 8-bit sRGB
    frame_linear: np.ndarray  # per sampled frame, median linear floor brightness (animal masked)

    @property
    def spread(self) -> tuple[float, float]:
        """5th and 95th percentile of the frames' floor brightness over their median."""
        med = float(np.median(self.frame_linear))
        lo, hi = np.percentile(self.frame_linear, [5, 95])
        return float(lo / med), float(hi / med)


def floor_stats(plate: np.ndarray, frames: np.ndarray, animal_masks: np.ndarray, floor: np.ndarray) -> FloorStats:
    """``floor``: (H, W) bool floor region; ``animal_masks``: (N, H, W) per frame."""
    grey_plate = plate.astype(float).mean(axis=-1) if plate.ndim == 3 else plate.astype(float)
    lin = float(linear_of_8bit(grey_plate[floor]).mean())
    per = []
    for f, m in zip(frames, animal_masks):
        g = f.astype(float).mean(axis=-1) if f.ndim == 3 else f.astype(float)
        sel = floor & ~m
        if sel.sum() > 100:
            per.append(float(np.median(linear_of_8bit(g[sel]))))
    per_a = np.asarray(per if per else [lin])
    srgb = float(np.clip(np.rint(grey_plate[floor].mean()), 0, 255))
    return FloorStats(lin, srgb, per_a)


def energy_range(stats: FloorStats, calib_energy: float, calib_linear: float, *,
                 margin: float = 0.1) -> tuple[float, float, float]:
    """(nominal, low, high) light energy: the energy that renders the plate's floor
    brightness, and the range covering the frames' spread widened by ``margin``."""
    nominal = calib_energy * stats.plate_linear / max(calib_linear, 1e-6)
    lo, hi = stats.spread
    return nominal, nominal * lo * (1 - margin), nominal * hi * (1 + margin)
