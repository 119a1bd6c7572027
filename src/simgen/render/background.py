"""Rendering over background plates: the animal and its shadow onto a photo of the rig.

The rig's meshes stay in the scene (they hide the animal where a wall is in front of
it, catch its shadow, and light it by bounce) but become Cycles shadow catchers, and
the film is transparent: the render then holds the animal (opaque) and the shadow it
casts on the rig (alpha over black). ``composite`` lays that over the frame's plate,
in linear light. Masks, keypoints and visibility do not change: they come from the
geometry, which is the same.

A plate is a photo through the scene's first camera (``simgen rig from-video``), so
only that camera composites; other cameras render the rig as usual.

bpy calls take plain values (the Blender scene, the rig's mesh objects, a bool).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.imageops import linear_to_srgb, srgb_to_linear
from simgen.sampling.spec import FrameSpec


def plate_for(spec: FrameSpec | None, camera: str) -> str | None:
    """The plate this frame composites ``camera`` onto, or None."""
    if spec is None or spec.background is None or not spec.cameras or spec.cameras[0].name != camera:
        return None
    return spec.background.plate


def use_plate(scene, rig_meshes, on: bool) -> None:
    """Set the film and the rig's shadow catchers for a render over a plate (``on``)
    or a normal one. Call after the RGB render settings, before rendering."""
    for obj in rig_meshes:
        obj.is_shadow_catcher = bool(on)
    if on:
        scene.render.film_transparent = True
        scene.render.image_settings.color_mode = "RGBA"


def tone_map(linear: np.ndarray, gamma: float, pivot: float) -> np.ndarray:
    """``pivot * (linear / pivot) ** gamma``, clipped to [0, 1] (``scene.Tone``)."""
    return np.clip(pivot * (np.maximum(linear, 0.0) / pivot) ** gamma, 0.0, 1.0)


def composite(render_png: Path, plate: Path | str, out: Path | None = None, tone=None) -> np.ndarray:
    """Alpha-over of an RGBA render (straight alpha, sRGB) onto ``plate`` (resized to
    the render if needed); writes RGB to ``out`` (default: over ``render_png``).
    ``tone`` (a ``scene.Tone``, or None) maps the render's colour before it is laid over."""
    from PIL import Image

    with Image.open(render_png) as im:
        rgba = np.asarray(im.convert("RGBA"), np.float64) / 255.0
    h, w = rgba.shape[:2]
    with Image.open(plate) as im:
        im = im.convert("RGB")
        if im.size != (w, h):
            im = im.resize((w, h), Image.BILINEAR)
        bg = np.asarray(im, np.float64) / 255.0
    a = rgba[..., 3:4]
    fg = srgb_to_linear(rgba[..., :3])
    if tone is not None and tone.gamma != 1.0:
        fg = tone_map(fg, tone.gamma, tone.pivot)
    lin = fg * a + srgb_to_linear(bg) * (1.0 - a)
    rgb = np.rint(linear_to_srgb(lin) * 255.0).astype(np.uint8)
    target = Path(out) if out is not None else Path(render_png)
    # write where Blender wrote (same name, same format): the caller commits the file
    Image.fromarray(rgb, "RGB").save(target, format="PNG")
    return rgb
