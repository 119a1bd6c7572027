"""Safety limits checked before any work starts, each raised with an environment variable.

A typo such as ``resolution: [100000, 100000]`` or a YAML alias bomb would otherwise run
for hours or take all memory. Every limit is generous for real work; the message names
the limit and the variable that raises it, e.g. ``SIMGEN_MAX_PIXELS=100000000``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from simgen.errors import LimitError


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    what: str  # "pixels per image"

    @property
    def value(self) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            v = int(float(raw))
        except ValueError:
            raise LimitError(f"{self.env}={raw!r}: expected a whole number") from None
        return v if v > 0 else self.default

    def exceeded(self, value: int | float) -> str | None:
        """``None`` if ``value`` is within the limit, else the message (without a location)."""
        lim = self.value
        if value <= lim:
            return None
        return (f"{value:,} {self.what} is above the limit of {lim:,} "
                f"(set {self.env}={int(value)} in the environment to allow it)")

    def check(self, value: int | float, where: str) -> None:
        problem = self.exceeded(value)
        if problem:
            raise LimitError(f"{where}: {problem}")


PIXELS = Limit("SIMGEN_MAX_PIXELS", 7680 * 4320, "pixels per image")  # 8K
FRAMES = Limit("SIMGEN_MAX_FRAMES", 10_000_000, "frames")
SAMPLES = Limit("SIMGEN_MAX_SAMPLES", 16_384, "samples per pixel")
YAML_BYTES = Limit("SIMGEN_MAX_YAML_BYTES", 16 * 2**20, "bytes of YAML")
YAML_DEPTH = Limit("SIMGEN_MAX_YAML_DEPTH", 64, "levels of YAML nesting")
YAML_NODES = Limit("SIMGEN_MAX_YAML_NODES", 1_000_000, "YAML values after expanding aliases")

ALL = (PIXELS, FRAMES, SAMPLES, YAML_BYTES, YAML_DEPTH, YAML_NODES)
