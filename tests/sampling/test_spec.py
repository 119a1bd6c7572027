"""FrameSpec's animals: one list inside, the JSON's two forms outside (old params read alike)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from simgen.sampling import sample_frame
from simgen.sampling.spec import FrameSpec
from simgen.scene import load_scene

SCENES = Path(__file__).resolve().parents[2] / "scenes"


def _frame(sets: list[str] | None = None, frame: int = 0) -> FrameSpec:
    return sample_frame(load_scene(SCENES / "openfield.yaml", sets or []).scene, frame)


def test_one_animal_is_a_list_of_one_written_as_animal():
    spec = _frame()
    assert len(spec.animals) == 1 and spec.animals[0].name is None
    d = spec.to_json()
    assert "animals" not in d and d["animal"]["asset"] == "mouse"
    assert list(d)[:4] == ["frame", "seed", "render", "animal"]  # the key where it has always been
    text = json.dumps(d, indent=1)
    assert FrameSpec.model_validate(json.loads(text)) == spec
    assert json.dumps(FrameSpec.model_validate(json.loads(text)).to_json(), indent=1) == text


@pytest.mark.parametrize("count", [1, 2])
def test_named_animals_are_written_as_animals(count):
    spec = _frame([f"animal.count={count}"])
    assert [a.name for a in spec.animals] == [f"mouse{k}" for k in range(count)]
    d = spec.to_json()
    assert d["animal"] is None and [a["name"] for a in d["animals"]] == [f"mouse{k}" for k in range(count)]
    assert list(d).index("animals") == list(d).index("animal") + 1
    assert FrameSpec.model_validate(d) == spec and FrameSpec.model_validate(d).to_json() == d


def test_no_animal_and_bad_forms():
    d = _frame().to_json()
    none = FrameSpec.model_validate({**d, "animal": None})
    assert none.animals == [] and none.to_json()["animal"] is None and "animals" not in none.to_json()
    two = _frame(["animal.count=2"]).to_json()
    with pytest.raises(ValidationError, match="not both"):
        FrameSpec.model_validate({**two, "animal": d["animal"]})
    unnamed = [{k: v for k, v in a.items() if k != "name"} for a in two["animals"]]
    with pytest.raises(ValidationError, match="a name each"):
        FrameSpec.model_validate({**two, "animals": unnamed})


def test_excluding_the_animals_leaves_no_animal_key():
    d = _frame(["animal.count=2"]).model_dump(mode="json", exclude={"animals"})
    assert "animal" not in d and "animals" not in d
