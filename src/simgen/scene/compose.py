"""Builds one plain scene dict from a file, its ``extends`` chain and ``--set`` overrides.

Merge rule: mappings merge key by key (later wins); lists and scalars are replaced
whole. Every key keeps the origin (file:line or --set) of the text that set it.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from simgen.errors import SceneError
from simgen.scene.yamlsrc import Origin, PathT, format_path, load_yaml

# Fields holding file paths, resolved relative to the file that set them. Values
# without a path separator or suffix are bundled names (e.g. "mouse", "arena").
PATH_FIELDS: tuple[tuple[str | int | None, ...], ...] = (
    ("animal", "asset"),
    ("animals", None, "asset"),
    ("rig", None, "asset"),
    ("rig", None, "material", "texture"),
    ("keypoints", "names"),
    ("background", "plates", None),
)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory if inside it."""
    path = Path(path).absolute()
    cwd = Path.cwd()
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


def deep_merge(base: Any, over: Any, base_origins: dict[PathT, Origin],
               over_origins: dict[PathT, Origin], path: PathT = ()) -> Any:
    """Merge ``over`` onto ``base``; updates ``base_origins`` in place to the result's."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            sub = path + (key,)
            if key in out:
                out[key] = deep_merge(out[key], value, base_origins, over_origins, sub)
            else:
                _replace_origins(base_origins, over_origins, sub)
                out[key] = value
            base_origins[sub] = over_origins.get(sub, base_origins.get(sub))
        return out
    _replace_origins(base_origins, over_origins, path)
    return over


def _replace_origins(dst: dict[PathT, Origin], src: dict[PathT, Origin], prefix: PathT) -> None:
    n = len(prefix)
    for key in [k for k in dst if len(k) > n and k[:n] == prefix]:
        del dst[key]
    for key, origin in src.items():
        if len(key) >= n and key[:n] == prefix:
            dst[key] = origin


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or Path(value).suffix != ""


def resolve_paths(data: dict, origins: dict[PathT, Origin]) -> None:
    """Make relative file paths absolute, relative to the YAML file that set them."""

    def visit(node: Any, pattern: tuple, path: PathT) -> None:
        if not pattern:
            return
        head, rest = pattern[0], pattern[1:]
        keys = range(len(node)) if head is None and isinstance(node, list) else [head]
        for key in keys:
            if isinstance(node, dict) and key in node or isinstance(node, list) and isinstance(key, int):
                sub = path + (key,)
                if rest:
                    visit(node[key], rest, sub)
                elif isinstance(node[key], str) and _looks_like_path(node[key]):
                    origin = origins.get(sub)
                    base = Path(origin.file).parent if origin and origin.line is not None else Path.cwd()
                    node[key] = str((base / Path(node[key]).expanduser()).resolve())

    for pattern in PATH_FIELDS:
        visit(data, pattern, ())


def load_tree(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, dict[PathT, Origin]]:
    """Load a scene file with its ``extends`` chain resolved (paths made absolute)."""
    path = Path(path)
    shown = display_path(path)
    real = path.resolve()
    data, origins = load_yaml(path, shown)
    if not isinstance(data, dict):
        raise SceneError(f"{shown}:1: a scene is a mapping of keys (simgen, frames, cameras, ...), "
                         f"not a {type(data).__name__}")
    resolve_paths(data, origins)
    parent = data.pop("extends", None)
    if parent is None:
        return data, origins
    where = origins.get(("extends",))
    if not isinstance(parent, str):
        raise SceneError(f"{where}: extends: must be a path to another scene file (got {parent!r})")
    parent_path = (real.parent / parent).resolve()
    if parent_path in _chain + (real,):
        cycle = " -> ".join(display_path(p) for p in (*_chain, real, parent_path))
        raise SceneError(f"{where}: extends: circular extends ({cycle})")
    if not parent_path.is_file():
        raise SceneError(f"{where}: extends: file not found: {display_path(parent_path)}")
    base, base_origins = load_tree(parent_path, _chain + (real,))
    for key in [k for k in origins if k and k[0] == "extends"]:
        del origins[key]
    merged = deep_merge(base, data, base_origins, origins)
    base_origins[()] = origins[()]
    return merged, base_origins


# -- --set overrides -----------------------------------------------------------------

def _split_set_path(expr: str, dotted: str) -> list[str | int]:
    parts: list[str | int] = []
    for raw in dotted.split("."):
        if not raw:
            raise SceneError(f"--set {expr}: empty segment in the path {dotted!r}")
        name, *indices = raw.split("[")
        if name:
            parts.append(name)
        for idx in indices:
            if not idx.endswith("]") or not idx[:-1].strip():
                raise SceneError(f"--set {expr}: bad index {'[' + idx!r} in {dotted!r}")
            inner = idx[:-1].strip()
            parts.append(int(inner) if inner.lstrip("-").isdigit() else inner)
    return parts


def parse_set(expr: str) -> tuple[str, Any]:
    """``path.to.key=value`` -> (the path, the value parsed as YAML; an empty value is null).
    The one parser of ``--set`` (scene loading here, a sweep's ``--set`` for every arm)."""
    if "=" not in expr:
        raise SceneError(f"--set {expr}: expected path.to.key=value")
    dotted, raw_value = expr.split("=", 1)
    dotted = dotted.strip()
    if not dotted:
        raise SceneError(f"--set {expr}: empty path before '='")
    try:
        return dotted, (yaml.safe_load(raw_value) if raw_value.strip() else None)
    except yaml.YAMLError as exc:
        raise SceneError(f"--set {expr}: the value is not valid YAML ({' '.join(str(exc).split())})") from None


def apply_set(data: dict, origins: dict[PathT, Origin], expr: str) -> None:
    """Apply one ``path.to.key=value`` (value parsed as YAML) in place.

    Paths use dots for keys and ``[i]`` or ``.i`` for list items; a list of named
    items (cameras, lights, rig) can also be indexed by name: ``cameras.top.focal_mm``.
    """
    dotted, value = parse_set(expr)
    parts = _split_set_path(expr, dotted)
    node: Any = data
    path: PathT = ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if isinstance(part, str) and part.lstrip("-").isdigit():
                part = int(part)
            if isinstance(part, str):
                names = [it.get("name") for it in node if isinstance(it, dict)]
                if part not in names:
                    hint = difflib.get_close_matches(part, [n for n in names if n], 1)
                    raise SceneError(f"--set {expr}: {format_path(path)} has no item named {part!r}"
                                     + (f" (did you mean {hint[0]!r}?)" if hint else
                                        f"; names: {', '.join(map(str, names)) or 'none'}"))
                part = names.index(part)
            if not -len(node) <= part < len(node):
                raise SceneError(f"--set {expr}: {format_path(path)} has {len(node)} item(s); "
                                 f"index {part} is out of range")
            part = part % len(node)
        elif isinstance(node, dict):
            if isinstance(part, int):
                raise SceneError(f"--set {expr}: {format_path(path)} is a mapping, not a list; "
                                 f"use a key instead of [{part}]")
        else:
            raise SceneError(f"--set {expr}: {format_path(path)} is a value ({node!r}); "
                             f"it has no field {part!r}")
        sub = path + (part,)
        if last:
            _replace_origins(origins, {}, sub)
            node[part] = value
            set_origins = {sub: Origin(f"--set {expr}")}
            _mark(value, sub, set_origins, Origin(f"--set {expr}"))
            origins.update(set_origins)
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = {}
                origins[sub] = Origin(f"--set {expr}")
            node = node[part]
        path = sub
    resolve_paths(data, {k: v for k, v in origins.items()})


def _mark(value: Any, path: PathT, origins: dict[PathT, Origin], origin: Origin) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            origins[path + (k,)] = origin
            _mark(v, path + (k,), origins, origin)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            origins[path + (i,)] = origin
            _mark(v, path + (i,), origins, origin)
