"""Render only what changes: a cached background per camera, the animals' regions per frame.

With ``render.reuse_background``, a worker renders each camera's background (the frame
with every animal hidden) once, and per frame only the box around each animal's mask
pixels, grown by ``render.region_margin`` for its shadow and contact shading (a Cycles
border render of the same samples and seed), pasted onto the background. Several
animals: one box each, two replaced by the box around both where that renders fewer
pixels (animals side by side); boxes left overlapping are each rendered and pasted (the
same frame, samples and seed give the same pixels where they overlap). Labels, masks
and depth do not change (they come from their own passes); inside a box the image is
the full render's up to the denoiser's view of the box edge, outside it the background
lacks only the animals' light influence beyond the margin (measured in
docs/benchmarks.md).

The background is reused while everything but the animals stays the same: the
``background_key`` of a FrameSpec and camera (cameras, lights, world, rig, render
settings; not the animals, the frame index, the Cycles seed or the image operations). Over a background plate the render is the animal and its shadow on a transparent film,
so the cached "background" is that film without the animal, the region is pasted with
its alpha, and the result goes through the lens and onto the plate as a full render
does. A scene whose background changes every
frame (camera jitter, random light energy, ...) gains nothing: ``RegionRenderer.check``
says which field changes and the worker renders full frames.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simgen.contract import ANIMAL_ID
from simgen.dataset.writer import tmp_path_for
from simgen.render.background import plate_for
from simgen.sampling.spec import FrameSpec

log = logging.getLogger(__name__)

_FIXED_MARGIN_PX = 8
# the border render reaches this far past the pasted box: the denoiser sees no pixels past
# a render's edge and leaves a line of artifacts there, which falls outside the paste
_RENDER_PAD_PX = 8
_FEATHER_PX = 6  # the pasted box blends into the background over its outer pixels
_KEEP_BACKGROUNDS = 2  # per camera: the current clip's and the one before
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive ends)


def background_fields(spec: FrameSpec, camera: str | None = None) -> dict:
    """What a frame's background for ``camera`` (None: every camera) depends on: everything
    but the animals, the noise seed and the image operations applied after the paste. Over a
    plate, the film without the animal is empty whatever the lights, world, rig and plate
    are, so only the render settings and that camera count."""
    d = spec.model_dump(mode="json", exclude={"frame", "seed", "animals", "clip", "keypoints", "image"})
    d["render"].pop("cycles_seed", None)
    if camera is not None and plate_for(spec, camera) is not None:
        d = {"render": d["render"], "cameras": [c for c in d["cameras"] if c["name"] == camera]}
    elif camera is not None:
        d.pop("background", None)  # only the plate camera composites onto the plate
    return d


def background_key(spec: FrameSpec, camera: str | None = None) -> str:
    return hashlib.sha256(json.dumps(background_fields(spec, camera), sort_keys=True).encode()).hexdigest()[:16]


def first_difference(a: object, b: object, path: str = "") -> str | None:
    """The first field path where two JSON-like values differ (for the message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            found = first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else k)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            name = x.get("name") if isinstance(x, dict) else None
            found = first_difference(x, y, f"{path}.{name}" if name else f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else path


def region_box(mask: np.ndarray, margin: float, animal_id: int = ANIMAL_ID) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (exclusive ends) around the animal's pixels plus the margin,
    clipped to the image; None when the animal has no pixel in view."""
    ys, xs = np.nonzero(mask == animal_id)
    if not len(xs):
        return None
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    m = int(np.ceil(margin * max(x1 - x0, y1 - y0))) + _FIXED_MARGIN_PX
    h, w = mask.shape
    return max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)


def region_boxes(mask: np.ndarray, margin: float, animal_ids: Sequence[int] = (ANIMAL_ID,)) -> list[Box]:
    """The boxes to render: ``region_box`` of each animal in view, where two are replaced by
    the box around both when that renders no more pixels than the two (each counted with
    its render pad). Boxes left overlapping are each rendered and pasted: the same frame,
    samples and seed give the same pixels where they overlap."""
    shape = mask.shape
    boxes = [b for i in animal_ids if (b := region_box(mask, margin, i)) is not None]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                both = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                if _rendered_area(both, shape) <= _rendered_area(a, shape) + _rendered_area(b, shape):
                    boxes[i] = both
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def _rendered_area(box: Box, shape: tuple[int, ...]) -> int:
    x0, y0, x1, y1 = grow(box, _RENDER_PAD_PX, shape)
    return (x1 - x0) * (y1 - y0)


def grow(box: tuple[int, int, int, int], pad: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return max(0, x0 - pad), max(0, y0 - pad), min(shape[1], x1 + pad), min(shape[0], y1 + pad)


def paste(background: np.ndarray, patch: np.ndarray, box: tuple[int, int, int, int],
          rendered: tuple[int, int, int, int] | None = None, feather: int = 0) -> np.ndarray:
    """``background`` with ``box`` taken from ``patch``, the render of the box ``rendered``
    (default: ``box`` itself). Within ``feather`` px of the box's inner edges (not at the
    image border) the two blend linearly, so no seam shows where two noise draws meet."""
    rx0, ry0, rx1, ry1 = rendered or box
    if patch.shape[:2] != (ry1 - ry0, rx1 - rx0):
        raise ValueError(f"region render is {patch.shape[1]}x{patch.shape[0]}, expected {rx1 - rx0}x{ry1 - ry0}")
    x0, y0, x1, y1 = box
    inner = patch[y0 - ry0:y1 - ry0, x0 - rx0:x1 - rx0, : background.shape[2]].astype(np.float32)
    out = background.copy()
    if feather <= 0:
        out[y0:y1, x0:x1] = inner.astype(out.dtype)
        return out
    h, w = background.shape[:2]
    yy, xx = np.mgrid[y0:y1, x0:x1]
    d = np.full(xx.shape, np.inf, np.float32)  # distance to the nearest box edge that is not the image's
    if x0 > 0:
        d = np.minimum(d, xx - x0)
    if y0 > 0:
        d = np.minimum(d, yy - y0)
    if x1 < w:
        d = np.minimum(d, x1 - 1 - xx)
    if y1 < h:
        d = np.minimum(d, y1 - 1 - yy)
    a = np.clip((d + 1) / (feather + 1), 0.0, 1.0)[..., None]
    bg = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(np.rint(a * inner + (1 - a) * bg), 0, 255).astype(out.dtype)
    return out


def _pixels(im) -> np.ndarray:
    """RGB, or RGBA for a render over a plate (transparent film: the animal and its shadow)."""
    return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))


class RegionRenderer:
    """Per worker: the cached backgrounds and the region renders of one scene."""

    def __init__(self, margin: float):
        self.margin = margin
        self.enabled = True
        self._backgrounds: dict[str, dict[str, np.ndarray]] = {}  # camera -> key -> RGB
        self.stats = {"region": 0, "boxes": 0, "background": 0, "empty": 0}

    def check(self, specs: list[FrameSpec]) -> bool:
        """Turn region rendering off (with one warning) when the backgrounds of these
        consecutive frames differ: nothing could be reused."""
        if len(specs) < 2 or not self.enabled:
            return self.enabled
        cams = [c.name for c in specs[0].cameras]
        keys = {tuple(background_key(s, c) for c in cams) for s in specs}
        if len(keys) > 1:
            cam = next(c for c in cams if background_key(specs[0], c) != background_key(specs[1], c))
            field = first_difference(background_fields(specs[0], cam), background_fields(specs[1], cam))
            log.warning("render.reuse_background: the background changes between frames %d and %d (%s differs); "
                        "nothing can be reused, rendering full frames", specs[0].frame, specs[1].frame,
                        field or "a field")
            self.enabled = False
        return self.enabled

    def render(self, bscene, camera: str, spec: FrameSpec, mask: np.ndarray, path: Path,
               animal_ids: Sequence[int] = (ANIMAL_ID,)) -> None:
        """Write the frame's RGB for ``camera`` to ``path`` (background + the animals' regions;
        ``animal_ids``: the animals' ids in ``mask``)."""
        from PIL import Image

        image = self._background(bscene, camera, spec, path)
        boxes = region_boxes(mask, self.margin, animal_ids)
        if not boxes:
            self.stats["empty"] += 1
            Image.fromarray(image).save(path, format="PNG")
            return
        for box in boxes:
            rendered = grow(box, _RENDER_PAD_PX, mask.shape)
            part = tmp_path_for(path, ".png")  # a temporary name the dataset's cleanup knows
            try:
                bscene.render_rgb(camera, part, border=rendered)
                with Image.open(part) as im:
                    patch = _pixels(im)
            finally:
                part.unlink(missing_ok=True)
            try:
                if patch.shape[2] != image.shape[2]:
                    raise ValueError(f"region render has {patch.shape[2]} channels, the background {image.shape[2]}")
                image = paste(image, patch, box, rendered, feather=_FEATHER_PX)
            except ValueError as exc:  # Blender cut the box differently: render this frame in full
                log.warning("render.reuse_background: %s; rendering frame %d in full", exc, spec.frame)
                bscene.render_rgb(camera, path)
                return
        self.stats["region"] += 1
        self.stats["boxes"] += len(boxes)
        Image.fromarray(image).save(path, format="PNG")

    def _background(self, bscene, camera: str, spec: FrameSpec, path: Path) -> np.ndarray:
        from PIL import Image

        key = background_key(spec, camera)
        cache = self._backgrounds.setdefault(camera, {})
        if key not in cache:
            tmp = tmp_path_for(path, ".png")
            try:
                with bscene.animal_hidden():
                    bscene.render_rgb(camera, tmp)
                with Image.open(tmp) as im:
                    cache[key] = _pixels(im)
            finally:
                tmp.unlink(missing_ok=True)
            self.stats["background"] += 1
            while len(cache) > _KEEP_BACKGROUNDS:
                cache.pop(next(iter(cache)))
        return cache[key]
