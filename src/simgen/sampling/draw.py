"""Draw values from scene fields (constants, distributions, vectors) with numpy.

Each field of each frame gets its own generator derived from ``(seed, frame, field
path)`` through ``numpy.random.SeedSequence``: a frame's values do not depend on
which other frames were sampled, in what order or in which shard, and adding a field
to a scene does not change the values drawn for the others.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from simgen.scene.distributions import Choice, Dist, LogUniform, Normal, RandInt, Uniform


def rng_for(seed: int, frame: int, path: str) -> np.random.Generator:
    """The generator for one field of one frame (stable across machines and versions)."""
    key = zlib.crc32(path.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, frame, key])))


def draw_dist(dist: Dist, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """One draw; scalar parameters with ``size`` give ``size`` independent values."""
    if isinstance(dist, Uniform):
        lo, hi = np.asarray(dist.uniform[0], float), np.asarray(dist.uniform[1], float)
        shape = np.broadcast(lo, hi).shape or ((size,) if size else ())
        return rng.uniform(lo, hi, size=shape)
    if isinstance(dist, Normal):
        mean, std = np.asarray(dist.normal[0], float), np.asarray(dist.normal[1], float)
        shape = np.broadcast(mean, std).shape or ((size,) if size else ())
        value = rng.normal(mean, std, size=shape)
        if dist.clip is not None:
            value = np.clip(value, np.asarray(dist.clip[0], float), np.asarray(dist.clip[1], float))
        return value
    if isinstance(dist, LogUniform):
        lo, hi = np.log(np.asarray(dist.loguniform[0], float)), np.log(np.asarray(dist.loguniform[1], float))
        shape = np.broadcast(lo, hi).shape or ((size,) if size else ())
        return np.exp(rng.uniform(lo, hi, size=shape))
    if isinstance(dist, Choice):
        options = np.asarray(dist.choice, float)
        p = None if dist.weights is None else np.asarray(dist.weights, float) / np.sum(dist.weights)
        scalar_options = options.ndim == 1
        n = size if (size and scalar_options) else None
        idx = rng.choice(len(options), size=n, p=p)
        return options[idx]
    if isinstance(dist, RandInt):
        lo, hi = dist.randint
        return rng.integers(lo, hi, size=size, endpoint=True).astype(float)
    raise TypeError(f"no sampler for {type(dist).__name__}")


def draw_number(value: Any, rng: np.random.Generator) -> float:
    if isinstance(value, Dist):
        return float(draw_dist(value, rng))
    return float(value)


def draw_vector(value: Any, n: int, rng: np.random.Generator) -> list[float]:
    """A Vector field: per-component list, or one distribution (scalar params: iid)."""
    if isinstance(value, Dist):
        out = np.broadcast_to(draw_dist(value, rng, size=n), (n,))
        return [float(v) for v in out]
    return [draw_number(v, rng) for v in value]


def draw_scalar_or_vector(value: Any, n: int, rng: np.random.Generator) -> list[float]:
    """A ScalarOrVector field: a number/scalar distribution is drawn once for all n."""
    if isinstance(value, Dist):
        out = np.broadcast_to(draw_dist(value, rng), (n,))
        return [float(v) for v in out]
    if isinstance(value, (list, tuple)):
        return [draw_number(v, rng) for v in value]
    return [float(value)] * n


def draw_choice(value: Any, rng: np.random.Generator) -> Any:
    """A categorical field: a constant, or a model with ``choice`` and optional ``weights``."""
    if hasattr(value, "choice"):
        p = None if value.weights is None else np.asarray(value.weights, float) / np.sum(value.weights)
        return value.choice[int(rng.choice(len(value.choice), p=p))]
    return value
