"""The CLI shell: version, help speed, heavy imports stay lazy."""

from __future__ import annotations

import subprocess
import sys
import time

from simgen import __version__


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"simgen {__version__}"


def test_help_is_instant_and_imports_nothing_heavy():
    code = ("import sys, time; t=time.perf_counter(); sys.argv=['simgen','--help']\n"
            "from simgen.cli import main\n"
            "try: main()\nexcept SystemExit: pass\n"
            "heavy=[m for m in ('bpy','torch','kornia','cv2','pandas','sleap_io','trimesh','skimage') if m in sys.modules]\n"
            "print('HEAVY', heavy, time.perf_counter()-t)")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t
    line = next(x for x in out.splitlines() if x.startswith("HEAVY"))
    assert line.startswith("HEAVY []"), line
    assert wall < 3.0, wall


def test_unknown_command_is_usage_error(run_cli):
    code, _, err = run_cli("rendr")
    assert code == 2
