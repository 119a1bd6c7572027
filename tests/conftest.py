"""Shared test helpers: run the CLI in-process, write tiny scene files."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from simgen_testdata import MINIMAL_SCENE  # noqa: F401  (re-exported for tests)


@pytest.fixture(autouse=True)
def _torch_on_one_thread():
    """torch, once some test imported it, computes on one intra-op thread (a config's
    ``threads`` still sets its own): on this project's shared 2-core machine two threads ran the
    toy pose training 4x slower (OpenMP workers spinning against other jobs; see
    ``simgen.style.model.set_threads``). Nothing here imports torch."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


@pytest.fixture
def write_scene(tmp_path: Path):
    """Write YAML text (dedented) to tmp_path/name and return the path."""

    def write(text: str, name: str = "scene.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run ``simgen ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        from simgen.cli import main

        monkeypatch.setattr(sys, "argv", ["simgen", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run
