"""Loading: extends merge, --set overrides, path resolution, shipped scenes, reference doc."""

from __future__ import annotations

from pathlib import Path

import pytest

from simgen.scene import load_scene
from simgen.scene.reference import render_reference
from simgen_testdata import MINIMAL_SCENE

REPO = Path(__file__).resolve().parents[2]


def test_extends_merges_mappings_and_replaces_lists(write_scene):
    write_scene(MINIMAL_SCENE, "base/base.yaml")
    child = write_scene("""\
        extends: base/base.yaml
        seed: 11
        render: {samples: 4}
        lights:
          - {type: point, position: [0, 0, 2], energy: 50}
        """, "child.yaml")
    s = load_scene(child).scene
    assert s.seed == 11 and s.frames == 20                       # override + inherited
    assert s.render.samples == 4 and s.render.engine == "workbench"  # mappings merge
    assert [li.type for li in s.lights] == ["point"]             # lists are replaced
    assert s.cameras[0].focal_mm == 6


def test_extends_chain_three_levels(write_scene):
    write_scene(MINIMAL_SCENE, "a.yaml")
    write_scene("extends: a.yaml\nframes: 5\n", "b.yaml")
    c = write_scene("extends: b.yaml\nseed: 2\n", "c.yaml")
    s = load_scene(c).scene
    assert (s.frames, s.seed) == (5, 2)


def test_set_overrides_with_yaml_values(write_scene):
    path = write_scene(MINIMAL_SCENE)
    s = load_scene(path, [
        "cameras[0].focal_mm=8",
        "cameras.top.sensor_mm={uniform: [6, 7]}",
        "render.resolution=[320, 240]",
        "animal.fur=white",
        "rig.arena.material.roughness=0.25",
    ]).scene
    cam = s.cameras[0]
    assert cam.focal_mm == 8 and cam.sensor_mm.uniform == (6, 7)
    assert s.render.resolution == (320, 240) and s.animal.fur == "white"
    assert s.rig[0].material.roughness == 0.25


def test_paths_resolve_relative_to_the_file_that_wrote_them(write_scene, tmp_path, monkeypatch):
    (tmp_path / "base" / "meshes").mkdir(parents=True)
    (tmp_path / "base" / "meshes" / "post.obj").write_text("v 0 0 0\n")
    write_scene(MINIMAL_SCENE.replace("rig:\n", "rig:\n  - {name: post, asset: meshes/post.obj}\n"),
                "base/base.yaml")
    child = write_scene("extends: base/base.yaml\n", "child.yaml")
    monkeypatch.chdir(tmp_path / "base" / "meshes")  # the working directory must not matter
    s = load_scene(child).scene
    assert s.rig[0].asset == str((tmp_path / "base" / "meshes" / "post.obj").resolve())


def test_sha_changes_with_content_not_formatting(write_scene):
    a = load_scene(write_scene(MINIMAL_SCENE, "a.yaml"))
    b = load_scene(write_scene("# a comment\n" + MINIMAL_SCENE, "b.yaml"))
    c = load_scene(write_scene(MINIMAL_SCENE, "c.yaml"), ["seed=8"])
    assert a.sha256 == b.sha256 != c.sha256


@pytest.mark.parametrize("path", sorted((REPO / "scenes").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenes_validate(path, run_cli):
    code, out, err = run_cli("validate", path)
    assert code == 0, err
    assert "ok" in out and "randomized fields" in out


def test_sample_prints_json_framespec(run_cli):
    import json

    code, out, err = run_cli("sample", REPO / "scenes" / "openfield.yaml", "--frame", "3")
    assert code == 0, err
    spec = json.loads(out)
    assert spec["frame"] == 3 and spec["cameras"][0]["name"] == "top"
    assert spec["animal"]["pose"]["angles"]  # joint angles are part of the FrameSpec


def test_scene_reference_doc_is_current():
    doc = (REPO / "docs" / "scene-reference.md").read_text()
    assert doc.strip() == render_reference().strip(), \
        "regenerate: python -m simgen.scene.reference > docs/scene-reference.md"
