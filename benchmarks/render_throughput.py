"""Throughput of ``simgen render`` against a minimal plain-bpy loop, and memory over a long run.

    python benchmarks/render_throughput.py --scene scenes/openfield.yaml --frames 10 --preset fast
    python benchmarks/render_throughput.py --scene scenes/openfield.yaml --frames 500 --preset preview \
        --only simgen                                      # memory over 500 frames
    python benchmarks/render_throughput.py --frames 500 --preset fast --set 'render.resolution=[160,120]' \
        --only simgen --json rss.json                      # the Cycles path, small frames

Each measurement runs in its own process (a fresh Blender):
- ``simgen``: the real worker loop (``FrameRenderer``): sample, apply, RGB + mask
  passes, ray-cast labels, atomic writes, annotation.
- ``plain``: the same scene, frames and render settings, but only what a bare bpy
  script does: set the frame's values and ``bpy.ops.render.render(write_still=True)``.
- ``region``: the simgen loop with ``render.reuse_background=true`` (the background
  rendered once per camera, per frame only the animal's box; see render/region.py).
  It pays only when the background stays the same, e.g. the open field without camera
  jitter and with fixed lights and floor:

    python benchmarks/render_throughput.py --frames 12 --preset fast \
        --set cameras.top.jitter.position=null --set cameras.top.jitter.focal_mm=null \
        --set lights.ceiling.energy=14 --set world.strength=0.11 \
        --set rig.arena.material.color=0.78 --set rig.arena.material.roughness=0.6
frames/s skips the first frame's time (Blender loads kernels and builds its BVH then; the
region loop also renders its background then); "all fr/s" counts it.
Resident memory (RSS) is sampled after every frame; "flat" means the last tenth of
the run uses no more than the first tenth plus a small margin, and the trend over the
second half of the run (least-squares slope, MB per 100 frames) is about zero. ``--json``
also keeps the per-frame RSS trace.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _measure(mode: str, scene: str, frames: int, preset: str | None, out: Path, sets: list[str]) -> dict:
    from simgen.render.run import FrameRenderer, plan

    p = plan(Path(scene), out, frames=frames, preset=preset, overrides=sets)
    times, rss = [], []
    if mode in ("simgen", "region"):
        r = FrameRenderer(p.scene_path, p.out, p.overrides, p.meta)
        for f in p.todo:
            t = time.perf_counter()
            r.render(f)
            times.append(time.perf_counter() - t)
            rss.append(_rss_mb())
    else:
        import bpy

        from simgen.assets.animal_asset import load_animal
        from simgen.bpyutil import quiet_stdout
        from simgen.render.blender_scene import BlenderScene
        from simgen.sampling import sample_frame
        from simgen.scene import load_scene

        sc = load_scene(scene, p.overrides).scene
        specs = [sample_frame(sc, f) for f in p.todo]
        bs = BlenderScene(specs[0], animal=load_animal(specs[0].animal.asset))
        s = bpy.context.scene
        for spec in specs:
            t = time.perf_counter()
            bs.apply(spec)
            for cam in spec.cameras:
                s.camera = bs.cameras[cam.name]
                s.render.resolution_x, s.render.resolution_y = cam.resolution
                s.render.engine = bs._engine
                s.render.filepath = str(out / f"plain_{cam.name}_{spec.frame:06d}.png")
                with quiet_stdout():
                    bpy.ops.render.render(write_still=True)
            times.append(time.perf_counter() - t)
            rss.append(_rss_mb())
    steady = times[1:] or times
    n = max(1, len(rss) // 10)
    half = rss[len(rss) // 2:]
    slope = 0.0
    if len(half) >= 2:
        import numpy as np

        slope = float(np.polyfit(np.arange(len(half)), half, 1)[0]) * 100
    return {"mode": mode, "frames": len(times), "fps": len(steady) / sum(steady), "fps_all": len(times) / sum(times),
            "s_per_frame": sum(steady) / len(steady), "first_frame_s": times[0],
            "rss_mb_first": sum(rss[:n]) / n, "rss_mb_last": sum(rss[-n:]) / n, "rss_mb_peak": max(rss),
            "rss_mb_per_100_frames_2nd_half": slope, "rss_mb": [round(r, 1) for r in rss]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", default="scenes/openfield.yaml")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--only", choices=["simgen", "plain", "region"])
    ap.add_argument("--modes", default="plain,simgen,region", help="loops to run, in this order")
    ap.add_argument("--set", dest="sets", action="append", default=[],
                    help="scene override after the preset (repeatable), e.g. 'render.resolution=[160,120]'")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._child:
        sets = a.sets + (["render.reuse_background=true"] if a._child == "region" else [])
        print(json.dumps(_measure(a._child, a.scene, a.frames, a.preset, Path(a._out), sets)))
        return
    results = []
    for mode in [a.only] if a.only else a.modes.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, __file__, "--scene", a.scene, "--frames", str(a.frames), "--preset", a.preset,
                   "--_child", mode, "--_out", str(Path(tmp) / "ds")]
            for expr in a.sets:
                cmd += ["--set", expr]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"{mode} run failed:\n{proc.stderr[-3000:]}")
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    sets = "".join(f" --set {e}" for e in a.sets)
    print(f"scene {a.scene}, preset {a.preset}{sets}, {a.frames} frames (first frame excluded from frames/s)")
    print(f"{'loop':8} {'frames/s':>9} {'all fr/s':>9} {'s/frame':>8} {'RSS first':>10} {'RSS last':>9} "
          f"{'RSS peak':>9} {'MB/100 fr':>10}")
    for r in results:
        print(f"{r['mode']:8} {r['fps']:9.3f} {r['fps_all']:9.3f} {r['s_per_frame']:8.2f} {r['rss_mb_first']:9.0f}M "
              f"{r['rss_mb_last']:8.0f}M {r['rss_mb_peak']:8.0f}M {r['rss_mb_per_100_frames_2nd_half']:10.2f}")
    plain = next((r for r in results if r["mode"] == "plain"), None)
    for r in results:
        if plain is not None and r is not plain:
            print(f"{r['mode']} / plain throughput: {r['fps'] / plain['fps']:.3f}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
