"""What each Cycles setting costs and buys: time per frame and PSNR against a reference.

    python benchmarks/render_settings.py --scene scenes/openfield.yaml --frames 3

One Blender process renders the same frames (same FrameSpecs, same Cycles seeds) once per
variant, after ``BlenderScene.apply`` has set simgen's own settings (the ``fast`` preset:
8 samples, OpenImageDenoise in its fast mode, 4 light bounces), then changes only what
the variant names. Quality is PSNR (8-bit RGB) against a reference render of the same
frame at 128 samples with OIDN's high-quality mode and Blender's default light paths.
A variant at another resolution is upscaled (bicubic) to the reference's size first,
which charges it for the detail it lacks; the trainer letterboxes every image to its
input size (320x256 by default), so a 320x240 render loses nothing the model sees.

The first frame of each variant is rendered twice and only the second time counts
(kernel and BVH warm-up). Times are wall seconds on the machine as it is: run the
variants back to back under the same load and compare ratios.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

# name -> (description, changes after simgen's own settings)
VARIANTS: dict[str, tuple[str, dict]] = {
    "fast": ("simgen fast: 8 spp, OIDN fast, 4 bounces (adaptive sampling on, Blender's default)", {}),
    "no_adaptive": ("fast, adaptive sampling off", {"use_adaptive_sampling": False}),
    "bounces_12": ("fast with Blender's default light paths (12 bounces)",
                   {"max_bounces": 12, "diffuse_bounces": 4, "glossy_bounces": 4, "transmission_bounces": 12,
                    "transparent_max_bounces": 8}),
    "bounces_2": ("fast, 2 bounces (1 diffuse, 1 glossy)", {"max_bounces": 2, "diffuse_bounces": 1,
                                                             "glossy_bounces": 1}),
    "spp4": ("4 spp + OIDN fast", {"samples": 4}),
    "spp16": ("16 spp + OIDN fast", {"samples": 16}),
    "spp16_no_denoise": ("16 spp, no denoiser", {"samples": 16, "use_denoising": False}),
    "spp8_oidn_hq": ("8 spp + OIDN high quality", {"denoising_prefilter": "ACCURATE", "denoising_quality": "HIGH"}),
    "half_res": ("fast at half resolution (the trainer's input size), upscaled for the PSNR", {"_scale": 0.5}),
}
REFERENCE = {"samples": 128, "denoising_prefilter": "ACCURATE", "denoising_quality": "HIGH", "max_bounces": 12,
             "diffuse_bounces": 4, "glossy_bounces": 4, "transmission_bounces": 12, "transparent_max_bounces": 8}


def _apply(scene, changes: dict) -> None:
    c = scene.cycles
    scale = changes.get("_scale", 1.0)
    scene.render.resolution_percentage = int(round(100 * scale))
    for k, v in changes.items():
        if not k.startswith("_"):
            setattr(c, k, v)


def _load(path: Path, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != size:
            im = im.resize(size, Image.BICUBIC)
        return np.asarray(im, dtype=np.float64)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", default="scenes/openfield.yaml")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="scene override (repeatable)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    from simgen.assets.animal_asset import load_animal
    from simgen.render.blender_scene import BlenderScene
    from simgen.sampling import sample_frame
    from simgen.scene import load_scene
    from simgen.scene.presets import scene_overrides

    sc = load_scene(Path(a.scene), scene_overrides("fast", a.sets)).scene
    specs = [sample_frame(sc, f) for f in range(a.frames)]
    bs = BlenderScene(specs[0], animal=load_animal(specs[0].animal.asset))
    cam = specs[0].cameras[0].name
    tmp = Path(tempfile.mkdtemp(prefix="render_settings_"))

    def render(spec, changes: dict, path: Path) -> float:
        bs.apply(spec)
        _apply(bs.scene, changes)
        t = time.perf_counter()
        bs.render_rgb(cam, path)
        return time.perf_counter() - t

    refs = []
    for spec in specs:  # reference renders
        p = tmp / f"ref_{spec.frame}.png"
        render(spec, REFERENCE, p)
        refs.append(p)
    from PIL import Image

    with Image.open(refs[0]) as im:
        size = im.size
    rows = []
    for name in a.variants.split(","):
        desc, changes = VARIANTS[name]
        render(specs[0], changes, tmp / "warm.png")  # warm-up: kernels, BVH
        times, psnrs = [], []
        for spec, ref in zip(specs, refs):
            p = tmp / f"{name}_{spec.frame}.png"
            times.append(render(spec, changes, p))
            psnrs.append(_psnr(_load(p, size), _load(ref, size)))
        rows.append({"variant": name, "description": desc, "s_per_frame": float(np.mean(times)),
                     "psnr_db": float(np.mean(psnrs)), "psnr_min_db": float(np.min(psnrs))})
        print(f"{name:18} {np.mean(times):6.2f} s/frame  PSNR {np.mean(psnrs):5.1f} dB (min {np.min(psnrs):5.1f})",
              flush=True)
    fast = next((r for r in rows if r["variant"] == "fast"), None)
    print(f"\nscene {a.scene}, {a.frames} frames, {size[0]}x{size[1]}, reference: 128 spp + OIDN HQ, 12 bounces")
    print("| variant | what | s/frame | vs fast | PSNR dB (mean / min) |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        rel = f"{r['s_per_frame'] / fast['s_per_frame']:.2f}x" if fast else "-"
        print(f"| {r['variant']} | {r['description']} | {r['s_per_frame']:.2f} | {rel} | "
              f"{r['psnr_db']:.1f} / {r['psnr_min_db']:.1f} |")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
