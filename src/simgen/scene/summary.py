"""What a scene randomizes: the field paths that hold a distribution (``simgen validate``)."""

from __future__ import annotations

from typing import Any


def randomized_fields(model: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, description) for every field that holds a distribution."""
    from pydantic import BaseModel

    from simgen.scene.distributions import describe, is_random

    out: list[tuple[str, str]] = []
    if isinstance(model, BaseModel) and not hasattr(model, "kind"):
        for name in type(model).model_fields:
            value = getattr(model, name)
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(value, list) and value and isinstance(value[0], BaseModel):
                for i, item in enumerate(value):
                    label = getattr(item, "name", None) or i
                    out += randomized_fields(item, f"{path}[{label}]")
            elif hasattr(value, "choice") and isinstance(value, BaseModel) and not hasattr(value, "kind"):
                out.append((path, f"choice({', '.join(value.choice)})"))
            elif isinstance(value, BaseModel) and not hasattr(value, "kind"):
                out += randomized_fields(value, path)
            elif is_random(value):
                out.append((path, describe(value)))
    return out
