"""Generates docs/scene-reference.md from the schema, so the reference cannot drift.

Run ``python -m simgen.scene.reference > docs/scene-reference.md``; a test compares.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from simgen.scene import schema
from simgen.scene.distributions import DISTRIBUTIONS


def _dist_union(annotation: Any) -> str | None:
    """Name the number/vector/distribution unions the way a scene author thinks of them."""
    args = typing.get_args(annotation)
    flat = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a for a in args]
    if not any(a in DISTRIBUTIONS.values() for a in flat):
        return None
    has_num = float in flat
    vec = next((a for a in flat if typing.get_origin(a) is list), None)
    if has_num and vec is not None:
        return "number or vector \\| distribution"
    if vec is not None:
        return "vector \\| distribution"
    return "number \\| distribution"


def _bounds(metadata: list[Any]) -> str:
    for m in metadata:
        b = getattr(getattr(m, "func", None), "bounds", None)
        if b:
            return f", {b}"
    return ""


def _type_name(annotation: Any) -> str:
    named = _dist_union(annotation)
    if named:
        return named
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin is typing.Annotated:
        return _type_name(args[0]) + _bounds(list(args[1:]))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " \\| ".join(_type_name(a) for a in args)
    if origin in (list, tuple):
        inner = ", ".join(_type_name(a) for a in args if a is not Ellipsis)
        return f"[{inner}]" if origin is tuple else f"list of {inner}"
    if origin is dict:
        return f"mapping {_type_name(args[0])} -> {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{annotation.__name__}`"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation)).replace("|", "\\|")


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "(defaults)"
    return f"`{value}`".replace("|", "\\|")


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for sub in _nested(field.annotation):
                visit(sub)

    visit(root)
    return seen


def _nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [] if annotation.__name__ in {d.__name__ for d in DISTRIBUTIONS.values()} else [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += _nested(arg)
    return out


def render_reference() -> str:
    lines = [
        "# Scene YAML reference",
        "",
        "Generated from `simgen.scene.schema` by `python -m simgen.scene.reference`; do not edit.",
        "Unknown keys are errors. Lengths in meters, angles in degrees.",
        "",
        "## Distributions",
        "",
        "A field typed `number | distribution` takes a constant or one of:",
        "",
        "| distribution | YAML | notes |",
        "| --- | --- | --- |",
        "| uniform | `{uniform: [low, high]}` | low <= high |",
        "| normal | `{normal: [mean, std], clip: [lo, hi]}` | clip optional; bounded fields need it |",
        "| loguniform | `{loguniform: [low, high]}` | 0 < low <= high |",
        "| choice | `{choice: [a, b, c], weights: [1, 1, 2]}` | weights optional |",
        "| randint | `{randint: [low, high]}` | integers, both ends included |",
        "",
        "Vector fields take a list with a number or distribution per component, or one",
        "distribution: scalar parameters (`{normal: [0, 0.01]}`) draw each component",
        "independently; vector parameters (`{uniform: [[-1, -1, 0], [1, 1, 0]]}`) describe the",
        "whole vector. Color and scale also take one number or scalar distribution, drawn once",
        "for all components. Every draw comes from a generator derived from",
        "(seed, frame, field path), so frames never depend on each other.",
        "",
        "`extends: other.yaml` (relative to this file) builds on another scene: mappings merge",
        "key by key, lists and values are replaced. `--set path.to.key=value` overrides any",
        "field from the command line (`cameras[0].focal_mm=8`, `cameras.top.focal_mm=8`).",
        "",
    ]
    for model in _models(schema.Scene):
        lines += [f"## `{model.__name__}`", ""]
        lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            kind = _type_name(field.annotation) + _bounds(field.metadata)
            lines.append(f"| `{name}` | {kind} | {_default(field)} | {desc} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_reference())
