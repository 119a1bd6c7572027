"""Fixtures of the reliability tests: the builders of the export, gap, pose, render and rig tests."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent.parent
for sub in ("export", "gap", "pose", "render", "rig"):
    if str(_TESTS / sub) not in sys.path:
        sys.path.append(str(_TESTS / sub))
