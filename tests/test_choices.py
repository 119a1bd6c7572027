"""Every closed choice is a Literal in simgen.choices, and every registry keyed by one holds
exactly its names. Both are found by reading the package's source (no hand-written list):
a ``Literal`` of names written anywhere else, or a module-level alias of a ``Literal``, fails;
a module-level registry annotated ``dict[Choice, ...]`` / ``tuple[Choice, ...]`` is checked."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest

import simgen
from simgen import choices

PACKAGE = Path(simgen.__file__).parent
CHOICES_PY = Path(choices.__file__)
ALIASES = {k for k, v in vars(choices).items() if get_origin(v) is Literal or (
    get_args(v) and all(get_origin(m) is Literal for m in get_args(v)))}


def _is_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Subscript) and (
        (isinstance(node.value, ast.Name) and node.value.id == "Literal")
        or (isinstance(node.value, ast.Attribute) and node.value.attr == "Literal"))


def _members(node: ast.Subscript) -> list[ast.AST]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def stray_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each Literal that belongs in choices.py: any module-level alias whose
    value holds a Literal, and any Literal of names (strings) written elsewhere. A Literal of
    numbers beside its field (a format version ``Literal[1]``, a stride) may stay."""
    tree = ast.parse(source)
    out: dict[int, str] = {}
    for stmt in tree.body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if value is not None and any(_is_literal(n) for n in ast.walk(value)):
            out[stmt.lineno] = ast.unparse(stmt)
    for node in ast.walk(tree):
        if _is_literal(node) and any(isinstance(m, ast.Constant) and isinstance(m.value, str)
                                     for m in _members(node)):
            out.setdefault(node.lineno, ast.unparse(node))
    return sorted(out.items())


def registries(source: str) -> list[tuple[str, str]]:
    """(registry, choice) for each module-level ``NAME: dict[Choice, ...]`` (or tuple, set,
    frozenset, Mapping) whose key type is a Literal alias imported from simgen.choices."""
    tree = ast.parse(source)
    imported = {a.asname or a.name for s in tree.body if isinstance(s, ast.ImportFrom) and s.module == "simgen.choices"
                for a in s.names}
    out = []
    for stmt in tree.body:
        ann = stmt.annotation if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) else None
        if not (isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name)
                and ann.value.id in {"dict", "tuple", "set", "frozenset", "Mapping"}):
            continue
        key = _members(ann)[0]
        if isinstance(key, ast.Name) and key.id in imported and key.id in ALIASES:
            out.append((stmt.target.id, key.id))
    return out


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != CHOICES_PY:
            yield path, path.read_text()


def _module(path: Path) -> str:
    return ".".join(("simgen",) + path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")


def test_the_finders_find_literals_and_registries():
    src = (
        "from typing import Literal\n"
        "from simgen.choices import Fur\n"
        "Side = Literal['left', 'right']\n"
        "Version = Literal[1]\n"
        "Both = Side | Literal['up']\n"
        "class A:\n"
        "    side: Literal['left', 'right'] = 'left'\n"
        "    version: Literal[1] = 1\n"
        "    def f(self) -> typing.Literal['a']: ...\n"
        "FUR: dict[Fur, int] = {}\n"
        "NAMES: tuple[Fur, ...] = ()\n"
        "OTHER: dict[str, int] = {}\n"
    )
    assert [line for line, _ in stray_literals(src)] == [3, 4, 5, 7, 9]
    assert registries(src) == [("FUR", "Fur"), ("NAMES", "Fur")]
    assert [line for line, _ in stray_literals(CHOICES_PY.read_text())]  # the aliases themselves


def test_every_closed_choice_is_a_literal_in_choices():
    stray = [f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
             for path, src in _sources() for line, text in stray_literals(src)]
    assert not stray, "move these into simgen/choices.py:\n" + "\n".join(stray)


REGISTRIES = [(_module(path), reg, choice) for path, src in _sources() for reg, choice in registries(src)]


def test_every_registry_named_in_choices_is_found():
    # choices.py names a choice's registry in a comment on its line (``# render.primitives.PRIMITIVES``):
    # the finder must find each, so a registry that lost its annotation is not silently unchecked
    lines = CHOICES_PY.read_text().splitlines()
    named = set()
    for stmt in ast.parse(CHOICES_PY.read_text()).body:
        if isinstance(stmt, ast.Assign) and stmt.targets[0].id in ALIASES:
            text = " ".join(lines[stmt.lineno - 1:stmt.end_lineno])
            named |= {(f"simgen.{m}", r, stmt.targets[0].id) for m, r in re.findall(r"\b([a-z_]+(?:\.[a-z_]+)+)\.([A-Z][A-Z_]+)\b", text)}
    assert len(named) >= 10 and named <= set(REGISTRIES), sorted(named - set(REGISTRIES))


@pytest.mark.parametrize("module,registry,choice", REGISTRIES, ids=[f"{m}.{r}" for m, r, _ in REGISTRIES])
def test_registry_equals_its_literal(module, registry, choice):
    keys = getattr(importlib.import_module(module), registry)
    assert set(keys) == set(choices.names(getattr(choices, choice))), (module, registry, sorted(keys))


def test_social_weights_are_the_configurations():
    from simgen.sampling.social import CONFIGS
    from simgen.scene.schema import Social

    assert list(Social.model_fields)[:-1] == list(choices.names(choices.SocialConfig)) == list(CONFIGS)
    assert list(Social().weights) == list(CONFIGS)


def test_schema_and_spec_read_the_same_literals():
    from simgen.sampling import spec
    from simgen.scene import schema

    def literal_of(model, field):
        return model.model_fields[field].annotation

    assert literal_of(schema.RenderSettings, "engine") is choices.Engine is literal_of(spec.RenderSpec, "engine")
    assert literal_of(schema.Light, "type") is choices.LightType is literal_of(spec.LightSpec, "type")
    assert literal_of(schema.Camera, "sensor_fit") is choices.SensorFit is literal_of(spec.CameraSpec, "sensor_fit")
    assert literal_of(spec.AnimalSpec, "fur") is choices.Fur


def test_unknown_fur_is_a_schema_error_listing_the_choices(tmp_path):
    from simgen.errors import SceneError
    from simgen.scene import load_scene

    p = tmp_path / "s.yaml"
    p.write_text("simgen: 1\nanimal: {fur: purple}\ncameras: [{name: top, position: [0, 0, 1]}]\n")
    with pytest.raises(SceneError) as err:
        load_scene(p)
    text = "\n".join(err.value.messages)
    assert "animal.fur" in text and all(f in text for f in get_args(choices.Fur)), text


@pytest.mark.parametrize("argv,choice", [
    (["render", "x.yaml", "--out", "o", "--preset", "turbo"], choices.RenderPreset),
    (["suggest", "v.mp4", "--model", "m", "--out", "o", "--strategy", "random"], choices.SuggestStrategy),
])
def test_cli_choices_come_from_the_literals(argv, choice):
    from typer.testing import CliRunner

    from simgen.cli import app

    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 2
    assert all(p in res.output for p in get_args(choice)), res.output
