"""Copy a rendered simgen dataset with the scene's ``image`` randomization applied.

    python benchmarks/add_image_ops.py SRC_DATASET OUT_DATASET SCENE.yaml [--set image.glare=0.3 ...]

What ``simgen render`` would write with the same ``--set`` overrides, without rendering
again: image randomization runs after Blender (``simgen.imageops``), on the rendered
image and its instance mask, and every other value of a frame is drawn from its own
generator, so the frames match the renders except for the image operations. Each
annotation's ``params.image`` is set to the operations applied. The sim2real benchmark
uses it to measure floor/image randomization on the same renders as the run without it.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("scene", type=Path)
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides")
    args = ap.parse_args(argv)

    import cv2

    from simgen.imageops import apply_image_ops
    from simgen.sampling import sample_frame
    from simgen.scene import load_scene

    scene = load_scene(args.scene, args.overrides).scene
    if args.out.exists():
        raise SystemExit(f"{args.out} exists")
    shutil.copytree(args.src, args.out)
    meta = json.loads((args.out / "dataset.json").read_text())
    animal_id = meta.get("mask_ids", {}).get("animal", 1)
    n = 0
    for ann_path in sorted((args.out / "annotations").glob("*.json")):
        ann = json.loads(ann_path.read_text())
        frame = int(ann["frame"])
        ops = sample_frame(scene, frame).image
        for cam in ann["cameras"]:
            img_path = args.out / "images" / cam / f"{frame:06d}.png"
            mask = cv2.imread(str(args.out / "masks" / cam / f"{frame:06d}.png"), cv2.IMREAD_UNCHANGED)
            img = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
            out = apply_image_ops(img[..., ::-1].copy(), ops, mask, animal_id)
            cv2.imwrite(str(img_path), out[..., ::-1])
        ann["params"]["image"] = None if ops is None else ops.model_dump(mode="json")
        ann_path.write_text(json.dumps(ann))
        n += 1
    print(f"{args.out}: {n} frames with image randomization")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
