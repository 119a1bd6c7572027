"""YAML text -> plain data plus the source line of every key and list item.

The line map lets a schema error deep in a merged scene point at the file and line
that set the offending value: ``scenes/x.yaml:14: cameras[0].focal_mm: ...``.

Before any value is built, the text is checked against ``simgen.limits``: file size,
nesting depth and the number of values after alias expansion (a "billion laughs" file
is refused in milliseconds), and an alias inside its own anchor is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simgen import limits
from simgen.errors import SceneError

PathT = tuple[str | int, ...]


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a file and 1-based line, or a ``--set`` expression."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


def format_path(path: PathT) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<scene>"


class _Constructor(yaml.SafeLoader):
    pass


def _to_data(node: yaml.Node, path: PathT, origins: dict[PathT, Origin], file: str,
             ctor: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise SceneError(f"{file}:{line}: {format_path(path)}: keys must be text (got {key!r})")
            if key in out:
                raise SceneError(f"{file}:{line}: {format_path(path + (key,))}: duplicate key")
            origins[path + (key,)] = Origin(file, line)
            out[key] = _to_data(value_node, path + (key,), origins, file, ctor)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            origins[path + (i,)] = Origin(file, item.start_mark.line + 1)
            items.append(_to_data(item, path + (i,), origins, file, ctor))
        return items
    return ctor.construct_object(node, deep=True)


def load_yaml(path: Path, display: str | None = None) -> tuple[Any, dict[PathT, Origin]]:
    """Parse one YAML file; errors name the file and line. Empty files are errors."""
    file = display or str(path)
    try:
        size = Path(path).stat().st_size
        if limits.YAML_BYTES.exceeded(size):
            raise SceneError(f"{file}: {limits.YAML_BYTES.exceeded(size)}")
        text = Path(path).read_text()
    except FileNotFoundError:
        raise SceneError(f"{file}: file not found") from None
    except UnicodeDecodeError:
        raise SceneError(f"{file}: not a text file (it is not UTF-8)") from None
    except OSError as exc:
        raise SceneError(f"{file}: cannot read ({exc.strerror or exc.__class__.__name__})") from None
    return parse_yaml(text, file)


def check_structure(text: str, file: str) -> None:
    """Refuse YAML that is too deep, expands (through aliases) to too many values, or holds
    an alias inside its own anchor, before building anything (a streaming pass)."""
    if limits.YAML_BYTES.exceeded(len(text)):
        raise SceneError(f"{file}: {limits.YAML_BYTES.exceeded(len(text))}")
    max_depth, max_nodes = limits.YAML_DEPTH.value, limits.YAML_NODES.value
    stack: list[list] = [[0, None]]  # [values inside, anchor] of every open collection
    sizes: dict[str, int] = {}
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            line = ev.start_mark.line + 1 if ev.start_mark else "?"
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([1, ev.anchor])
                if len(stack) - 1 > max_depth:
                    raise SceneError(f"{file}:{line}: {len(stack) - 1} {limits.YAML_DEPTH.what} is above the "
                                     f"limit of {max_depth} (set {limits.YAML_DEPTH.env}=N to allow more)")
                continue
            if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                n, anchor = stack.pop()
                if anchor is not None:
                    sizes[anchor] = n
            elif isinstance(ev, yaml.AliasEvent):
                if any(a == ev.anchor for _, a in stack):
                    raise SceneError(f"{file}:{line}: the alias *{ev.anchor} refers to itself "
                                     f"(it sits inside &{ev.anchor})")
                n = sizes.get(ev.anchor, 1)
            elif isinstance(ev, yaml.ScalarEvent):
                n = 1
                if ev.anchor is not None:
                    sizes[ev.anchor] = 1
            else:
                continue
            stack[-1][0] += n
            if stack[-1][0] > max_nodes:
                raise SceneError(f"{file}:{line}: more than {max_nodes:,} {limits.YAML_NODES.what} "
                                 f"(an alias bomb?); set {limits.YAML_NODES.env}=N to allow more")
    except yaml.YAMLError:
        return  # syntax errors: reported with their line by the full parse below


def parse_yaml(text: str, file: str) -> tuple[Any, dict[PathT, Origin]]:
    check_structure(text, file)
    ctor = _Constructor(text)
    try:
        node = ctor.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise SceneError(f"{file}{line}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise SceneError(f"{file}: YAML syntax error: {' '.join(str(exc).split())}") from None
    finally:
        ctor.dispose()
    if node is None:
        raise SceneError(f"{file}:1: the file is empty; a scene starts with 'simgen: 1'")
    origins: dict[PathT, Origin] = {(): Origin(file, node.start_mark.line + 1)}
    try:
        data = _to_data(node, (), origins, file, ctor)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise SceneError(f"{file}:{mark.line + 1 if mark else '?'}: YAML error: {exc.problem}") from None
    return data, origins
