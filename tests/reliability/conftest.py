"""Fixtures of the reliability tests: the builders of the export, gap, pose, render and rig tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent.parent
for sub in ("export", "gap", "pose", "render", "rig"):
    if str(_TESTS / sub) not in sys.path:
        sys.path.append(str(_TESTS / sub))


@pytest.fixture
def tmpfs(tmp_path):
    """``mount(size)``: a real tmpfs of that size (``"96k"``, ``"1m"``) at a new folder under
    tmp_path, unmounted afterwards; skipped without root or where mounting fails."""
    mounted = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        mnt = tmp_path / f"disk{len(mounted)}"
        mnt.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs: {r.stderr.decode().strip()}")
        mounted.append(mnt)
        return mnt

    yield mount
    for mnt in mounted:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
