"""``load_scene(path, overrides)``: YAML + extends + --set -> validated ``Scene``, and
``load_yaml_model(path, Model)``: any other config file (keypoint sets, pose configs,
sweep and import specs) -> a validated pydantic model.

Every failure raises ``SceneError`` (or the caller's subclass) whose lines read
``file:line: path: message``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from simgen import limits
from simgen.choices import BUNDLED_ANIMALS, RIG_MODEL_SUFFIXES, Primitive
from simgen.errors import ConfigError, SceneError
from simgen.scene.compose import apply_set, display_path, load_tree
from simgen.scene.messages import format_validation_error, locate
from simgen.scene.schema import Scene
from simgen.scene.yamlsrc import Origin, PathT, format_path, load_yaml

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: str | Path, model: type[M], *, what: str = "config file",
                    updates: dict[str, Any] | None = None, source: str = "command line",
                    error: type[SceneError] = ConfigError) -> M:
    """Read YAML file ``path`` into ``model``; errors read ``file:line: field.path: message``.

    ``updates``: top-level fields set after reading (e.g. ``--steps``), validated like the
    file's and reported as coming from ``source``. ``what`` names the file in messages."""
    return load_yaml_model_with_origins(path, model, what=what, updates=updates, source=source, error=error)[0]


def load_yaml_model_with_origins(path: str | Path, model: type[M], *, what: str = "config file",
                                 updates: dict[str, Any] | None = None, source: str = "command line",
                                 error: type[SceneError] = ConfigError) -> tuple[M, dict[PathT, Origin]]:
    """``load_yaml_model`` and the file line of every value, for checks after validation."""
    path = Path(path)
    shown = display_path(path)
    if not path.is_file():
        raise error(f"{shown}: {what} not found" if not path.exists() else f"{shown}: {what} is not a file")
    try:
        data, origins = load_yaml(path, shown)
    except SceneError as err:
        raise error(err.messages) from None
    if not isinstance(data, dict):
        raise error(f"{shown}:1: a {what} is a mapping of keys, not a {type(data).__name__}")
    for key, value in (updates or {}).items():
        data[key] = value
        origins[(key,)] = Origin(source)
    try:
        return model.model_validate(data), origins
    except ValidationError as exc:
        raise error(format_validation_error(exc, model, origins)) from None


@dataclass
class LoadedScene:
    scene: Scene
    source: Path
    overrides: list[str] = field(default_factory=list)
    origins: dict[PathT, Origin] = field(default_factory=dict, repr=False)

    @property
    def resolved(self) -> dict[str, Any]:
        """The validated scene as plain JSON data (what dataset.json stores)."""
        return self.scene.model_dump(mode="json")

    @property
    def sha256(self) -> str:
        text = json.dumps(self.resolved, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_scene(path: str | Path, overrides: Iterable[str] = ()) -> LoadedScene:
    path = Path(path)
    if not path.exists():
        raise SceneError(f"{path}: scene file not found")
    data, origins = load_tree(path)
    overrides = list(overrides)
    for expr in overrides:
        apply_set(data, origins, expr)
    try:
        scene = Scene.model_validate(data)
    except ValidationError as exc:
        raise SceneError(format_validation_error(exc, Scene, origins)) from None
    problems = check_references(scene) + check_limits(scene) + check_cameras(scene)
    if problems:
        raise SceneError([f"{locate(origins, p)}: {format_path(p)}: {m}" for p, m in problems])
    return LoadedScene(scene=scene, source=path, overrides=overrides, origins=origins)


def _is_path(value: str) -> bool:
    return Path(value).is_absolute() or "/" in value or Path(value).suffix != ""


def check_references(scene: Scene) -> list[tuple[PathT, str]]:
    """Checks across fields and against the file system: unique names, files that exist."""
    from typing import get_args

    from simgen.resources import data_dir

    problems: list[tuple[PathT, str]] = []
    for group in ("cameras", "rig", "lights"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(scene, group)):
            if item.name is None:
                continue
            if item.name in seen:
                problems.append(((group, i, "name"),
                                 f"duplicate name {item.name!r} (also {group}[{seen[item.name]}])"))
            seen[item.name] = i

    blocks = [(("animal",), scene.animal)] if scene.animals is None else [
        (("animals", i), a) for i, a in enumerate(scene.animals)]
    for where, a in blocks:
        asset = a.asset
        if _is_path(asset):
            if not Path(asset).exists():
                problems.append(((*where, "asset"), f"file not found: {display_path(Path(asset))}"))
        elif asset not in BUNDLED_ANIMALS:
            problems.append(((*where, "asset"), f"unknown bundled animal {asset!r}; "
                             f"bundled: {', '.join(BUNDLED_ANIMALS)}, or give a path"))
    problems += check_animals(scene)

    primitives = get_args(Primitive)
    for i, item in enumerate(scene.rig):
        if _is_path(item.asset):
            if Path(item.asset).suffix.lower() not in RIG_MODEL_SUFFIXES:
                problems.append((("rig", i, "asset"), f"unsupported file type {Path(item.asset).suffix!r}; "
                                 f"use one of {' '.join(RIG_MODEL_SUFFIXES)}"))
            elif not Path(item.asset).is_file():
                problems.append((("rig", i, "asset"), f"file not found: {display_path(Path(item.asset))}"))
        elif item.asset not in primitives:
            hint = difflib.get_close_matches(item.asset, primitives, 1, 0.6)
            problems.append((("rig", i, "asset"), f"unknown primitive {item.asset!r}"
                             + (f" (did you mean {hint[0]!r}?)" if hint else
                                f"; primitives: {', '.join(primitives)}, or a mesh file path")))
        tex = item.material.texture
        if tex is not None and not Path(tex).is_file():
            problems.append((("rig", i, "material", "texture"), f"file not found: {display_path(Path(tex))}"))

    if scene.background is not None:
        for i, plate in enumerate(scene.background.plates):
            if not Path(plate).is_file():
                problems.append((("background", "plates", i), f"file not found: {display_path(Path(plate))}"))

    names = scene.keypoints.names
    if _is_path(names):
        if not Path(names).is_file():
            problems.append((("keypoints", "names"), f"file not found: {display_path(Path(names))}"))
    else:
        folder = data_dir("configs") / "keypoints"
        bundled = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        if names not in bundled:
            hint = difflib.get_close_matches(names, bundled, 1, 0.6)
            problems.append((("keypoints", "names"), f"unknown keypoint set {names!r}"
                             + (f" (did you mean {hint[0]!r}?)" if hint else
                                f"; bundled: {', '.join(bundled) or 'none'}, or a YAML path")))
    return problems


def check_animals(scene: Scene) -> list[tuple[PathT, str]]:
    """Several animals (issue 16): one way to list them, unique names that are not mask labels
    of the rig, ids that fit an 8-bit mask. Whether they fit the arena is the sampler's check
    (``simgen.sampling.social.check_scene``), which needs the animals' skeletons."""
    from simgen.contract import MAX_MASK_ID

    problems: list[tuple[PathT, str]] = []
    if scene.animals is not None:
        if "animal" in scene.model_fields_set:
            problems.append((("animals",), "give either animal: (with count: for several alike) or animals:, "
                             "not both (an extended scene's animal: counts too)"))
        for i, a in enumerate(scene.animals):
            if a.count is not None:
                problems.append((("animals", i, "count"), "count belongs to animal:; list each animal of "
                                 "animals: on its own"))
    if scene.social is not None and not scene.multi:
        problems.append((("social",), "social needs several animals (animals:, or animal.count)"))
    if not scene.multi:
        return problems
    where = (lambda i: ("animals", i, "name")) if scene.animals is not None else (lambda i: ("animal", "name"))
    seen: dict[str, int] = {}
    rig_names = {item.name for item in scene.rig}
    for i, (name, _) in enumerate(scene.animal_list()):
        if name in seen:
            problems.append((where(i), f"duplicate animal name {name!r} (also animal {seen[name]}); "
                             "names identify the animals' tracks and mask ids"))
        elif name in rig_names or name == "background":
            problems.append((where(i), f"animal name {name!r} is also a rig part or 'background'; "
                             "mask labels must be unique"))
        seen.setdefault(name, i)
    n = len(scene.animal_list()) + len(scene.rig)
    if n > MAX_MASK_ID:
        problems.append((("animals",), f"{n} animals and rig parts do not fit an 8-bit mask ({MAX_MASK_ID} ids)"))
    return problems


def check_limits(scene: Scene) -> list[tuple[PathT, str]]:
    """Resolution, samples and frames against ``simgen.limits`` (checked before any work)."""
    problems: list[tuple[PathT, str]] = []
    sizes = [(("render", "resolution"), scene.render.resolution)]
    sizes += [(("cameras", i, "resolution"), c.resolution) for i, c in enumerate(scene.cameras) if c.resolution]
    for path, (w, h) in sizes:
        problem = limits.PIXELS.exceeded(w * h)
        if problem:
            problems.append((path, f"{w}x{h}: {problem}"))
    for path, value, limit in ((("render", "samples"), scene.render.samples, limits.SAMPLES),
                               (("frames",), scene.frames, limits.FRAMES)):
        problem = limit.exceeded(value)
        if problem:
            problems.append((path, problem))
    return problems


def check_cameras(scene: Scene) -> list[tuple[PathT, str]]:
    """A camera whose fixed position equals its fixed look_at has no viewing direction."""
    problems: list[tuple[PathT, str]] = []
    for i, cam in enumerate(scene.cameras):
        pos, at = list(cam.position), list(cam.look_at)
        fixed = all(isinstance(v, (int, float)) for v in pos + at)
        jitter = cam.jitter.position is not None or cam.jitter.look_at is not None
        if fixed and not jitter and all(abs(a - b) < 1e-9 for a, b in zip(pos, at)):
            problems.append((("cameras", i, "look_at"), f"equals the camera's position {pos}; "
                             "the camera needs a point to look at away from itself"))
    return problems
