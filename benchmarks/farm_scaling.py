"""Render-farm scaling on this machine: frames/s with 1 and 2 local workers, and the
overhead of the shard machinery (``simgen farm submit --executor local``).

    .venv/bin/python benchmarks/farm_scaling.py --scene scenes/openfield.yaml --frames 12 --preset fast

Runs, each into a fresh directory: (a) ``render --workers 1``, (b) ``render --workers 2``,
(c) ``farm submit --executor local --jobs 2`` (two submitit processes, each a shard).
Wall time includes start-up (Blender import, scene build) as a user sees it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIMGEN = [sys.executable, "-m", "simgen.cli"]


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scene", default="scenes/openfield.yaml")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="farm_scaling_"))
    common = [a.scene, "--frames", str(a.frames), "--preset", a.preset]
    rows = {}
    try:
        rows["render --workers 1"] = timed(SIMGEN + ["render", *common, "--out", str(base / "w1"), "-q"])
        rows["render --workers 2"] = timed(SIMGEN + ["render", *common, "--out", str(base / "w2"), "-q",
                                                    "--workers", "2"])
        rows["farm submit --executor local --jobs 2"] = timed(
            SIMGEN + ["farm", "submit", *common, "--out", str(base / "farm"), "--jobs", "2",
                      "--executor", "local"])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    one = rows["render --workers 1"]
    print(f"{a.frames} frames of {a.scene}, preset {a.preset}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f} after the runs")
    print("| run | wall s | frames/s | speed-up vs 1 worker |")
    print("| --- | --- | --- | --- |")
    for name, t in rows.items():
        print(f"| `{name}` | {t:.1f} | {a.frames / t:.3f} | {one / t:.2f}x |")
    # the farm does the same work as one process plus a ledger, submitit's process start-up
    # and per-shard scene builds: the difference per frame is the shard machinery's cost
    over = (rows["farm submit --executor local --jobs 2"] - one) / a.frames
    print(f"shard machinery overhead vs one process: {over:+.3f} s/frame "
          f"({over * a.frames:+.1f} s over {a.frames} frames)")
    if a.json:
        a.json.write_text(json.dumps({"frames": a.frames, "scene": a.scene, "preset": a.preset, "wall_s": rows,
                                      "overhead_s_per_frame": over}, indent=1))


if __name__ == "__main__":
    main()
