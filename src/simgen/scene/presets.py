"""Render-settings presets: named lists of scene overrides (``--set`` expressions).

A preset is applied before the user's own ``--set``s, so what a dataset records as its
scene is exactly what was rendered. Render, farm and sweep all read this table.
"""

from __future__ import annotations

from collections.abc import Sequence

from simgen.choices import RenderPreset, names
from simgen.errors import SimgenError

PRESETS: dict[RenderPreset, list[str]] = {
    # a quick look at framing and labels: flat-shaded OpenGL, no path tracing
    "preview": ["render.engine=workbench", "render.samples=1", "render.denoise=false"],
    # few samples and a denoiser: training-grade frames at a few seconds each on a CPU
    "fast": ["render.engine=cycles", "render.samples=8", "render.denoise=true"],
    "production": ["render.engine=cycles", "render.samples=128", "render.denoise=true"],
}


def scene_overrides(preset: str | None, overrides: Sequence[str] = ()) -> list[str]:
    """The preset's overrides followed by the user's."""
    if preset is None:
        return list(overrides)
    if preset not in PRESETS:
        raise SimgenError(f"unknown preset {preset!r}; choices: {', '.join(names(RenderPreset))}")
    return PRESETS[preset] + list(overrides)
