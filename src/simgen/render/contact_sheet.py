"""Contact sheets of a rendered dataset with its labels drawn on (PIL, no bpy).

Visible keypoints (v=2) are filled dots, occluded ones (v=1) hollow rings,
keypoints outside the image (v=0) are not drawn; skeleton edges join keypoints
that are both in the image; the box is the annotation's ``bbox``. With several
animals each gets its own box and skeleton color and its name over the box.
"""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError


def _palette(n: int) -> list[tuple[int, int, int]]:
    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb(i / max(n, 1), 0.85, 1.0)) for i in range(n)]


# box and skeleton colors of several animals (one animal: yellow box, white skeleton)
ANIMAL_COLORS = [(255, 220, 0), (0, 200, 255), (255, 80, 200), (120, 255, 80), (255, 140, 0), (170, 120, 255)]


def draw_labels(img, label, skeleton_idx: list[tuple[int, int]], radius: float | None = None,
                color: tuple[int, int, int] | None = None, name: str | None = None):
    """Draw one CameraLabel onto a PIL image (in place); returns the image. ``color``: the box and
    skeleton color (default: yellow box, white skeleton); ``name``: written over the box."""
    from PIL import ImageDraw

    d = ImageDraw.Draw(img)
    kp = np.asarray(label.keypoints, float)
    colors = _palette(len(kp))
    r = radius or max(2.0, min(img.size) / 120)
    for a, b in skeleton_idx:
        if kp[a, 2] > 0 and kp[b, 2] > 0:
            d.line([tuple(kp[a, :2]), tuple(kp[b, :2])], fill=color or (255, 255, 255), width=1)
    if label.bbox is not None:
        x0, y0, x1, y1 = (float(v) for v in label.bbox)
        d.rectangle([x0, y0, x1, y1], outline=color or (255, 220, 0), width=1)
        if name:
            d.text((x0 + 1, max(0.0, y0 - 11)), name, fill=color or (255, 220, 0))
    for (x, y, v), c in zip(kp, colors):
        box = [x - r, y - r, x + r, y + r]
        if v >= 2:
            d.ellipse(box, fill=c, outline=(0, 0, 0))
        elif v >= 1:
            d.ellipse(box, outline=c, width=max(1, int(r / 2)))
    return img


def contact_sheet(root: Path | str, out: Path | str, n: int = 16, camera: str | None = None,
                  columns: int | None = None, tile_width: int = 320) -> Path:
    """Write a grid of the first ``n`` complete frames (all cameras, or one) to ``out``."""
    from PIL import Image, ImageDraw

    from simgen.dataset import Dataset

    ds = Dataset(root)
    frames = ds.frames()
    if not frames:
        raise SimgenError(f"{root}: no complete frames to show")
    cams = [camera] if camera else ds.meta.camera_names
    if camera and camera not in ds.meta.camera_names:
        raise SimgenError(f"{root}: no camera {camera!r} (has {', '.join(ds.meta.camera_names)})")
    skel_names = {name: i for i, name in enumerate(ds.keypoints)}
    skel = [(skel_names[a], skel_names[b]) for a, b in ds.meta.skeleton if a in skel_names and b in skel_names]
    tiles = []
    for f in frames:
        ann = ds.annotation(f)
        for cam in cams:
            if len(tiles) >= n:
                break
            img = Image.fromarray(ds.load_image(cam, f))
            for animal in ann.animals:  # the one animal of a one-animal dataset is unnamed: default colors
                color = None if animal.name is None else ANIMAL_COLORS[animal.track % len(ANIMAL_COLORS)]
                draw_labels(img, animal.cameras[cam], skel, color=color, name=animal.name)
            ImageDraw.Draw(img).text((4, 2), f"{f} {cam}", fill=(255, 255, 0))
            scale = tile_width / img.width
            tiles.append(img.resize((tile_width, max(1, round(img.height * scale))), Image.BILINEAR))
        if len(tiles) >= n:
            break
    cols = columns or int(np.ceil(np.sqrt(len(tiles))))
    rows = int(np.ceil(len(tiles) / cols))
    th = max(t.height for t in tiles)
    sheet = Image.new("RGB", (cols * tile_width, rows * th), (30, 30, 30))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * tile_width, (i // cols) * th))
    from simgen.dataset.writer import atomic_write

    out = Path(out)
    with atomic_write(out, suffix=out.suffix) as tmp:  # whole or none; errors name the file
        sheet.save(tmp)
    return out
