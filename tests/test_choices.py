"""Every registry keyed by a closed choice holds exactly that choice's names (simgen.choices)."""

from __future__ import annotations

from typing import get_args

import pytest

from simgen import choices


def _registries():
    from simgen.assets.appearance import FUR
    from simgen.assets.poses import PRESETS as POSE_PRESETS
    from simgen.distributed.executors import EXECUTORS
    from simgen.render.blender_scene import ENGINES, LIGHT_TYPES
    from simgen.render.primitives import PRIMITIVES
    from simgen.sampling.social import CONFIGS as SOCIAL_CONFIGS
    from simgen.scene.presets import PRESETS as RENDER_PRESETS
    from simgen.style.model import METHODS, PROFILES

    return [
        (choices.Fur, FUR), (choices.PosePreset, POSE_PRESETS), (choices.Primitive, PRIMITIVES),
        (choices.Engine, ENGINES), (choices.LightType, LIGHT_TYPES), (choices.RenderPreset, RENDER_PRESETS),
        (choices.StyleMethod, METHODS), (choices.StyleProfile, PROFILES), (choices.Executor, EXECUTORS),
        (choices.SocialConfig, SOCIAL_CONFIGS),
    ]


@pytest.mark.parametrize("i", range(10))
def test_registry_equals_its_literal(i):
    literal, registry = _registries()[i]
    assert set(get_args(literal)) == set(registry), (literal, sorted(registry))


def test_every_registry_is_checked():
    assert len(_registries()) == 10


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


def test_cli_choices_come_from_the_literals():
    from typer.testing import CliRunner

    from simgen.cli import app

    res = CliRunner().invoke(app, ["render", "x.yaml", "--out", "o", "--preset", "turbo"])
    assert res.exit_code == 2
    assert all(p in res.output for p in get_args(choices.RenderPreset)), res.output
