"""Render the default mouse in every pose preset, top and side views, into one image.

    .venv/bin/python benchmarks/mouse_poses_sheet.py --out docs/images/mouse_poses.png

Uses the cached build (``simgen.assets.mouse.ensure_mouse``) or ``--asset DIR``; Cycles
at low samples on the CPU. Each tile is labelled with the preset and view; the animal
is lifted by ``poses.ground_offset`` so it stands on the floor.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from simgen.assets import poses, rigging
from simgen.assets.animal_asset import AnimalAsset
from simgen.assets.appearance import FUR
from simgen.assets.mouse import default_skeleton, ensure_mouse
from simgen.render.animal import AnimalRig


def setup_scene(samples: int, size: tuple[int, int]):
    import bpy

    sc = bpy.context.scene
    sc.render.engine = "CYCLES"
    sc.cycles.device = "CPU"
    sc.cycles.samples = samples
    sc.cycles.use_denoising = True
    sc.render.resolution_x, sc.render.resolution_y = size
    sc.render.film_transparent = False
    sc.view_settings.view_transform = "Standard"
    world = bpy.data.worlds.new("w")
    sc.world = world
    bg = world.node_tree.nodes["Background"]
    bg.inputs["Color"].default_value = (0.6, 0.62, 0.65, 1)
    bg.inputs["Strength"].default_value = 0.5
    bpy.ops.mesh.primitive_plane_add(size=1.0, location=(0, 0, 0))
    floor = bpy.context.object
    floor.scale = (0.6, 0.6, 1)
    mat = bpy.data.materials.new("floor")
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.55, 0.56, 0.58, 1)
    floor.data.materials.append(mat)
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 3.5
    sun.data.angle = math.radians(20)
    sun.rotation_euler = (math.radians(35), math.radians(-20), math.radians(30))
    sc.collection.objects.link(sun)
    cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam"))
    cam.data.type = "ORTHO"
    sc.collection.objects.link(cam)
    sc.camera = cam
    return cam


def body_bounds(body) -> tuple[np.ndarray, np.ndarray]:
    import bpy

    dg = bpy.context.evaluated_depsgraph_get()
    ev = body.evaluated_get(dg)
    me = ev.to_mesh()
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    co = co.reshape(-1, 3) @ np.array(body.matrix_world)[:3, :3].T + np.array(body.matrix_world)[:3, 3]
    if not np.all(np.isfinite(co)):
        raise RuntimeError("posed mesh has non-finite vertices")
    return co.min(axis=0), co.max(axis=0)


def aim(cam, view: str, lo: np.ndarray, hi: np.ndarray, aspect: float) -> None:
    from mathutils import Vector

    c = 0.5 * (lo + hi)
    ext = hi - lo
    if view == "top":
        cam.location = (c[0], c[1], 0.5)
        span = max(ext[0], ext[1] * aspect)
    else:  # side: from the animal's right, snout to the right of the image
        cam.location = (c[0], -0.5, c[2])
        span = max(ext[0], ext[2] * aspect)
    cam.data.ortho_scale = span * 1.12
    d = Vector(tuple(c)) - cam.location
    cam.rotation_euler = d.to_track_quat("-Z", "Y").to_euler()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/images/mouse_poses.png")
    ap.add_argument("--asset", default=None, help="asset dir (default: the cached bundled mouse)")
    ap.add_argument("--fur", default="agouti", choices=sorted(FUR))
    ap.add_argument("--samples", type=int, default=12)
    ap.add_argument("--tile", default="360x220")
    ap.add_argument("--variant", type=float, default=0.2)
    args = ap.parse_args()
    import bpy

    t0 = time.perf_counter()
    asset = Path(args.asset) if args.asset else ensure_mouse()
    skel = default_skeleton()
    rigging.new_scene()
    rig = AnimalRig(AnimalAsset.load(asset), bpy.context.scene.collection)
    rig.set_fur(args.fur)
    arm, body = rig.armature, rig.body
    w, h = (int(v) for v in args.tile.split("x"))
    cam = setup_scene(args.samples, (w, h))
    tiles = []
    tmp = Path(tempfile.mkdtemp())
    for name in poses.PRESET_NAMES:
        angles = poses.preset_angles(skel, name, args.variant)
        rig.pose(angles)
        arm.location = (0.0, 0.0, poses.ground_offset(skel, angles))
        bpy.context.view_layer.update()
        lo, hi = body_bounds(body)
        for view in ("side", "top"):
            aim(cam, view, lo, hi, w / h)
            path = tmp / f"{name}_{view}.png"
            bpy.context.scene.render.filepath = str(path)
            bpy.ops.render.render(write_still=True)
            tiles.append((f"{name} ({view})", Image.open(path).convert("RGB")))
    cols = 4
    rows = math.ceil(len(tiles) / cols)
    sheet = Image.new("RGB", (cols * w, rows * h), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, im) in enumerate(tiles):
        x, y = (i % cols) * w, (i // cols) * h
        sheet.paste(im, (x, y))
        draw.rectangle([x, y, x + 8 * len(label) + 8, y + 16], fill=(255, 255, 255))
        draw.text((x + 4, y + 3), label, fill=(0, 0, 0))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    print(f"wrote {out} ({len(tiles)} renders) in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
