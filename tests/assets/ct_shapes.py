"""Known shapes as CT-like volumes (partial-volume intensities) with analytic volume and area."""

from __future__ import annotations

import numpy as np
from scipy.special import ellipeinc, ellipkinc

AIR, TISSUE = -1000.0, 40.0


def ellipsoid_area(a: float, b: float, c: float) -> float:
    """Exact surface area of a tri-axial ellipsoid (Legendre's elliptic-integral form)."""
    a, b, c = sorted((a, b, c), reverse=True)
    phi = np.arccos(c / a)
    m = (a * a * (b * b - c * c)) / (b * b * (a * a - c * c))
    return float(2 * np.pi * c * c + 2 * np.pi * a * b / np.sin(phi)
                 * (ellipeinc(phi, m) * np.sin(phi) ** 2 + ellipkinc(phi, m) * np.cos(phi) ** 2))


def _supersample(inside, shape, spacing, ss: int = 4) -> np.ndarray:
    """Fraction of each voxel inside the shape (ss^3 sub-samples): a scanner's partial volume."""
    spacing = np.asarray(spacing, float)
    centre = (np.array(shape) - 1) / 2 * spacing
    idx = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    frac = np.zeros(shape, np.float32)
    offs = (np.arange(ss) + 0.5) / ss - 0.5
    for a in offs:
        for b in offs:
            for c in offs:
                p = np.stack([(idx[0] + a) * spacing[0] - centre[0], (idx[1] + b) * spacing[1] - centre[1],
                              (idx[2] + c) * spacing[2] - centre[2]], axis=-1)
                frac += inside(p)
    return frac / ss**3


def ellipsoid_volume(radii, spacing, shape):
    r = np.asarray(radii, float)
    frac = _supersample(lambda p: np.sum((p / r) ** 2, axis=-1) <= 1.0, shape, spacing)
    return (AIR + (TISSUE - AIR) * frac).astype(np.float32), 4 / 3 * np.pi * r.prod(), ellipsoid_area(*r)


def capsule_volume(radius, length, spacing, shape):
    """Capsule along axis 0: a cylinder of ``length`` with hemispherical caps."""
    def inside(p):
        x = np.clip(p[..., 0], -length / 2, length / 2)
        return (p[..., 0] - x) ** 2 + p[..., 1] ** 2 + p[..., 2] ** 2 <= radius**2

    frac = _supersample(inside, shape, spacing)
    vol = np.pi * radius**2 * length + 4 / 3 * np.pi * radius**3
    area = 2 * np.pi * radius * length + 4 * np.pi * radius**2
    return (AIR + (TISSUE - AIR) * frac).astype(np.float32), vol, area
