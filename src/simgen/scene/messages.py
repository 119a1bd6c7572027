"""Turns pydantic validation errors into ``file:line: field.path: message`` lines."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from simgen.scene.yamlsrc import Origin, PathT, format_path


def clean_loc(loc: tuple) -> PathT:
    """Drop union tags (``<uniform>``) and pydantic's internal union labels from a path."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("<") and part.endswith(">")
                                      or part.startswith(("function-", "literal[", "tagged-union["))):
            continue
        out.append(part)
    return tuple(out)


def locate(origins: dict[PathT, Origin], path: PathT) -> Origin:
    """Origin of the longest prefix of ``path`` that the sources define."""
    for n in range(len(path), -1, -1):
        if path[:n] in origins:
            return origins[path[:n]]
    return Origin("<scene>")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def valid_keys(root: type[BaseModel], path: PathT) -> list[str]:
    """Field names of the model that sits at ``path`` (for did-you-mean hints). A part that
    is no field is a key of a mapping (``arms: {name: Arm}``): the models stay the same."""
    models = [root]
    for part in path:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for m in models:
            field = m.model_fields.get(part)
            if field is not None:
                nxt.extend(_models_in(field.annotation))
        if not nxt and not any(part in m.model_fields for m in models):
            continue  # a mapping's key
        models = nxt
        if not models:
            return []
    return sorted({k for m in models for k in m.model_fields})


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def message(err: dict[str, Any], root: type[BaseModel], path: PathT) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        keys = valid_keys(root, path[:-1])
        hint = difflib.get_close_matches(str(path[-1]), keys, 1, 0.6)
        return f"unknown key {path[-1]!r}" + (f" (did you mean {hint[0]!r}?)" if hint else
                                              (f"; valid keys: {', '.join(keys)}" if keys else ""))
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        choices = ctx.get("expected", "")
        options = [c.strip(" '") for c in choices.replace(" or ", ", ").split(",")]
        hint = difflib.get_close_matches(str(value), options, 1, 0.6)
        return f"must be one of {choices} (got {_got(value)})" + (
            f"; did you mean {hint[0]!r}?" if hint else "")
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"expected a number (got {_got(value)})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number (got {_got(value)})"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false (got {_got(value)})"
    if kind == "string_type":
        return f"expected text (got {_got(value)})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys (got {_got(value)})"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list (got {_got(value)})"
    if kind == "greater_than":
        return f"must be > {ctx.get('gt')} (got {_got(value)})"
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')} (got {_got(value)})"
    if kind == "too_short":
        if ctx.get("min_length") == 1 and isinstance(value, (list, str)):
            return "must not be empty"
        return f"needs at least {ctx.get('min_length')} item(s) (got {ctx.get('actual_length')})"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s) (got {ctx.get('actual_length')})"
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return f"expected a number or a distribution such as {{uniform: [a, b]}} (got {_got(value)})"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


_TYPE_ERRORS = {"string_type", "int_type", "float_type", "bool_type", "list_type", "tuple_type", "dict_type"}
_MAPPING_ERRORS = {"model_type", "model_attributes_type"}


def _plain_branch(err: dict[str, Any]) -> PathT | None:
    """The union's location when ``err`` says a value is not the plain type of one member of
    a ``str | Model`` style union (pydantic names that member ``str``, ``list[str]``, ...)."""
    loc = err["loc"]
    if err["type"] in _TYPE_ERRORS and loc and isinstance(loc[-1], str) and (
            loc[-1] in ("str", "int", "float", "bool") or loc[-1].startswith(("list[", "tuple[", "dict["))):
        return tuple(loc[:-1])
    return None


def drop_losing_union_members(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A value that fits no member of a plain union gets one error per member. When the value
    got past one member's type check (its error lies inside that member), the other members'
    "expected text" is noise: the user meant that member."""
    def past_its_type_check(o: dict[str, Any], at: PathT) -> bool:
        return len(o["loc"]) > len(at) + 1 or o["type"] not in _TYPE_ERRORS | _MAPPING_ERRORS

    def inside_another_member(err: dict[str, Any], at: PathT) -> bool:
        return any(o is not err and len(o["loc"]) > len(at) and tuple(o["loc"][:len(at)]) == at
                   and past_its_type_check(o, at) for o in errors)

    return [e for e in errors if (at := _plain_branch(e)) is None or not inside_another_member(e, at)]


def format_validation_error(exc: ValidationError, root: type[BaseModel],
                            origins: dict[PathT, Origin]) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for err in drop_losing_union_members(exc.errors(include_url=False)):
        path = clean_loc(_plain_branch(err) or err["loc"])  # no member label ("str") in the path
        line = f"{locate(origins, path)}: {format_path(path)}: {message(err, root, path)}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines
