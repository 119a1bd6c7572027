"""Where the bundled scenes and configs live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

from simgen.errors import ConfigError, SimgenError

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent.parent  # src/simgen -> repo root in a checkout / editable install


def data_dir(kind: str) -> Path:
    """``configs`` or ``scenes``: the wheel's copy if installed, else the checkout's."""
    for base in (_PKG / "_data" / kind, _REPO / kind):
        if base.is_dir():
            return base
    raise SimgenError(f"bundled folder {kind!r} not found (broken install?)")


def config_path(group: str, name: str, suffix: str = ".yaml") -> Path:
    """``configs/<group>/<name>.yaml``; a clear error listing the choices if absent."""
    folder = data_dir("configs") / group
    path = folder / f"{name}{suffix}"
    if not path.is_file():
        have = sorted(p.stem for p in folder.glob(f"*{suffix}")) if folder.is_dir() else []
        raise ConfigError(f"no bundled {group} config {name!r}; choices: {', '.join(have) or 'none'}")
    return path
