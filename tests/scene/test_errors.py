"""Broken scenes give one actionable line (file:line: field: message), exit code 2."""

from __future__ import annotations

import re

import pytest

from simgen_testdata import MINIMAL_SCENE

# (name, scene text or edit of the minimal scene, --set overrides, expected line regex)
BROKEN = [
    ("unknown key", MINIMAL_SCENE.replace("focal_mm: 6", "focal_mm: 6\n    focl_mm: 7"), [],
     r"scene\.yaml:14: cameras\[0\]\.focl_mm: unknown key 'focl_mm' \(did you mean 'focal_mm'\?\)"),
    ("unknown top-level key", MINIMAL_SCENE + "camera: {}\n", [],
     r"scene\.yaml:\d+: camera: unknown key 'camera' \(did you mean 'cameras'\?\)"),
    ("negative focal", MINIMAL_SCENE.replace("focal_mm: 6", "focal_mm: -3"), [],
     r"scene\.yaml:13: cameras\[0\]\.focal_mm: must be > 0 \(got -3\)"),
    ("wrong type", MINIMAL_SCENE.replace("focal_mm: 6", "focal_mm: six"), [],
     r"scene\.yaml:13: cameras\[0\]\.focal_mm: expected a number \(got 'six'\)"),
    ("negative resolution", MINIMAL_SCENE.replace("[64, 48]", "[-64, 48]"), [],
     r"scene\.yaml:4: render\.resolution\[0\]: must be > 0 \(got -64\)"),
    ("unknown distribution", MINIMAL_SCENE.replace("{uniform: [0.9, 1.1]}", "{unifrom: [0.9, 1.1]}"), [],
     r"scene\.yaml:6: animal\.scale: unknown distribution 'unifrom' \(did you mean 'uniform'\?\)"),
    ("uniform low > high", MINIMAL_SCENE.replace("{uniform: [-0.1, 0.1]}", "{uniform: [0.1, -0.1]}"), [],
     r"scene\.yaml:7: animal\.placement\.x: uniform: low must be <= high"),
    ("negative std", MINIMAL_SCENE.replace("{normal: [0, 0.05]}", "{normal: [0, -0.05]}"), [],
     r"scene\.yaml:7: animal\.placement\.y: normal: std must be >= 0"),
    ("unbounded normal on a positive field",
     MINIMAL_SCENE.replace("scale: {uniform: [0.9, 1.1]}", "scale: {normal: [1, 0.1]}"), [],
     r"scene\.yaml:6: animal\.scale: must be > 0, but a normal without clip can take any value"),
    ("empty choice", MINIMAL_SCENE.replace("animal:\n", "animal:\n  fur: {choice: []}\n"), [],
     r"scene\.yaml:6: animal\.fur\.choice: must not be empty"),
    ("bad literal", MINIMAL_SCENE.replace("engine: workbench", "engine: cylces"), [],
     r"scene\.yaml:4: render\.engine: must be one of .* \(got 'cylces'\); did you mean 'cycles'\?"),
    ("weights mismatch", MINIMAL_SCENE.replace("{uniform: [0.7, 0.9]}", "{choice: [0.7, 0.9], weights: [1]}"), [],
     r"scene\.yaml:9: rig\[0\]\.material\.color: weights: 1 weights for 2 options"),
    ("color out of range", MINIMAL_SCENE.replace("{uniform: [0.7, 0.9]}", "[0.5, 1.5, 0.2]"), [],
     r"scene\.yaml:9: rig\[0\]\.material\.color\[1\]: must be >= 0 and <= 1 \(got 1\.5\)"),
    ("vector of wrong length", MINIMAL_SCENE.replace("position: [0, 0, 0.6]", "position: [0, 0.6]"), [],
     r"scene\.yaml:12: cameras\[0\]\.position: expected 3 values \(got 2\)"),
    ("missing required", MINIMAL_SCENE.replace("    position: [0, 0, 0.6]\n", ""), [],
     r"scene\.yaml:11: cameras\[0\]\.position: required field is missing"),
    ("no cameras", MINIMAL_SCENE.split("cameras:")[0] + "cameras: []\n", [],
     r"scene\.yaml:\d+: cameras: must not be empty"),
    ("duplicate camera name", MINIMAL_SCENE.replace("lights:", "  - {name: top, position: [1, 0, 1]}\nlights:"),
     [], r"scene\.yaml:\d+: cameras\[1\]\.name: duplicate name 'top' \(also cameras\[0\]\)"),
    ("missing mesh file", MINIMAL_SCENE.replace("asset: arena,", "asset: meshes/arena.obj,"), [],
     r"scene\.yaml:9: rig\[0\]\.asset: file not found: .*meshes/arena\.obj"),
    ("unknown primitive", MINIMAL_SCENE.replace("asset: arena,", "asset: arean,"), [],
     r"scene\.yaml:9: rig\[0\]\.asset: unknown primitive 'arean' \(did you mean 'arena'\?\)"),
    ("missing animal asset", MINIMAL_SCENE.replace("animal:\n", "animal:\n  asset: ./my_rat/\n"), [],
     r"scene\.yaml:6: animal\.asset: file not found: .*my_rat"),
    ("missing background plate", MINIMAL_SCENE + "background: {plates: [plates/empty.png]}\n", [],
     r"scene\.yaml:\d+: background\.plates\[0\]: file not found: .*plates/empty\.png"),
    ("shape out of range", MINIMAL_SCENE, ["animal.shape.girth=5"],
     r"--set animal\.shape\.girth=5: animal\.shape\.girth: must be >= 0\.5 and <= 2 \(got 5\)"),
    ("YAML syntax error", MINIMAL_SCENE.replace("[64, 48]}", "[64, 48}"), [],
     r"scene\.yaml:4: YAML syntax error: "),
    ("bad indentation", MINIMAL_SCENE.replace("    focal_mm: 6", "   focal_mm: 6"), [],
     r"scene\.yaml:13: YAML syntax error: "),
    ("duplicate key", MINIMAL_SCENE.replace("seed: 7", "seed: 7\nseed: 8"), [],
     r"scene\.yaml:3: seed: duplicate key"),
    ("empty file", "", [], r"scene\.yaml:1: the file is empty"),
    ("not a mapping", "- 1\n- 2\n", [], r"scene\.yaml:1: a scene is a mapping"),
    ("wrong version", MINIMAL_SCENE.replace("simgen: 1", "simgen: 2"), [],
     r"scene\.yaml:1: simgen: must be one of 1 \(got 2\)"),
    ("bad --set path", MINIMAL_SCENE, ["cameras[3].focal_mm=8"],
     r"--set cameras\[3\]\.focal_mm=8: cameras has 1 item\(s\); index 3 is out of range"),
    ("--set through a value", MINIMAL_SCENE, ["seed.x=1"],
     r"--set seed\.x=1: seed is a value \(7\); it has no field 'x'"),
    ("--set without =", MINIMAL_SCENE, ["frames"], r"--set frames: expected path\.to\.key=value"),
    ("--set unknown key", MINIMAL_SCENE, ["render.sampels=4"],
     r"--set render\.sampels=4: render\.sampels: unknown key 'sampels' \(did you mean 'samples'\?\)"),
    ("--set bad value", MINIMAL_SCENE, ["cameras.top.focal_mm=-1"],
     r"--set cameras\.top\.focal_mm=-1: cameras\[0\]\.focal_mm: must be > 0 \(got -1\)"),
    ("--set unknown item name", MINIMAL_SCENE, ["cameras.side.focal_mm=8"],
     r"--set cameras\.side\.focal_mm=8: cameras has no item named 'side'"),
]


@pytest.mark.parametrize("name,text,sets,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_scene_one_line_exit_2(name, text, sets, expected, write_scene, run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = write_scene(text)
    args = ["validate", path.name]
    for s in sets:
        args += ["--set", s]
    code, out, err = run_cli(*args)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err + out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert re.search(expected, lines[0]), lines[0]


def test_many_errors_are_reported_together(write_scene, run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    text = MINIMAL_SCENE.replace("focal_mm: 6", "focal_mm: -3").replace("seed: 7", "seed: -1")
    code, _, err = run_cli("validate", write_scene(text).name)
    assert code == 2
    assert "seed: must be >= 0 (got -1)" in err and "focal_mm: must be > 0 (got -3)" in err


def test_missing_scene_file(run_cli, tmp_path):
    code, _, err = run_cli("validate", tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml: scene file not found" in err


def test_circular_extends(write_scene, run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    write_scene("extends: b.yaml\nsimgen: 1\n", "a.yaml")
    write_scene("extends: a.yaml\nseed: 1\n", "b.yaml")
    code, _, err = run_cli("validate", "a.yaml")
    assert code == 2
    assert re.fullmatch(r"error: b\.yaml:1: extends: circular extends \(a\.yaml -> b\.yaml -> a\.yaml\)\n", err)


def test_missing_extends_target(write_scene, run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    write_scene("simgen: 1\nextends: base/missing.yaml\n", "a.yaml")
    code, _, err = run_cli("validate", "a.yaml")
    assert code == 2 and "a.yaml:2: extends: file not found: base/missing.yaml" in err


def test_error_in_base_file_points_at_base(write_scene, run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    write_scene(MINIMAL_SCENE.replace("focal_mm: 6", "focal_mm: 0"), "base.yaml")
    write_scene("extends: base.yaml\nseed: 3\n", "child.yaml")
    code, _, err = run_cli("validate", "child.yaml")
    assert code == 2 and "base.yaml:13: cameras[0].focal_mm: must be > 0 (got 0)" in err
