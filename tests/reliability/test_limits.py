"""Limits checked before any work: resolution, samples, frames and YAML size, depth and
alias expansion. Each message names the limit and the variable that raises it."""

from __future__ import annotations

import time

from simgen_testdata import MINIMAL_SCENE


def test_huge_resolution_is_refused_by_validate_and_can_be_raised(run_cli, write_scene, monkeypatch):
    path = write_scene(MINIMAL_SCENE)
    code, _, err = run_cli("validate", path, "--set", "render.resolution=[100000, 100000]")
    assert code == 2
    assert "render.resolution: 100000x100000: 10,000,000,000 pixels per image is above the limit of" in err
    assert "SIMGEN_MAX_PIXELS=10000000000" in err
    monkeypatch.setenv("SIMGEN_MAX_PIXELS", "20000000000")
    code, out, err = run_cli("validate", path, "--set", "render.resolution=[100000, 100000]")
    assert code == 0, err


def test_camera_resolution_samples_and_frames(run_cli, write_scene):
    path = write_scene(MINIMAL_SCENE)
    code, _, err = run_cli("validate", path, "--set", "cameras[0].resolution=[50000, 50000]",
                           "--set", "render.samples=1000000", "--set", "frames=999999999")
    assert code == 2
    assert "cameras[0].resolution: 50000x50000" in err
    assert "render.samples: 1,000,000 samples per pixel is above the limit" in err and "SIMGEN_MAX_SAMPLES" in err
    assert "frames: 999,999,999 frames is above the limit" in err and "SIMGEN_MAX_FRAMES" in err


def test_render_frames_option_is_limited_before_work(run_cli, write_scene, tmp_path):
    path = write_scene(MINIMAL_SCENE)
    code, _, err = run_cli("render", path, "--out", tmp_path / "out", "--frames", "123456789", "-q")
    assert code == 2 and "--frames: 123,456,789 frames is above the limit" in err
    assert not (tmp_path / "out").exists()


def test_alias_bomb_is_refused_at_once(run_cli, write_scene):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))
    path = write_scene(bomb)
    t0 = time.perf_counter()
    code, _, err = run_cli("validate", path)
    assert time.perf_counter() - t0 < 2.0
    assert code == 2 and "YAML values after expanding aliases (an alias bomb?)" in err
    assert "SIMGEN_MAX_YAML_NODES" in err


def test_deep_nesting_and_self_reference(run_cli, write_scene):
    deep = write_scene("simgen: 1\nx: " + "[" * 20000 + "]" * 20000 + "\n", "deep.yaml")
    code, out, err = run_cli("validate", deep)
    assert code == 2 and "levels of YAML nesting is above the limit of 64" in err
    assert "SIMGEN_MAX_YAML_DEPTH" in err and "Traceback" not in out + err
    selfref = write_scene("simgen: 1\ncameras: &c\n  - {name: top, position: [0, 0, 1], more: *c}\n", "self.yaml")
    code, _, err = run_cli("validate", selfref)
    assert code == 2 and "self.yaml:3: the alias *c refers to itself" in err


def test_yaml_size_limit(run_cli, write_scene, monkeypatch):
    path = write_scene(MINIMAL_SCENE)
    monkeypatch.setenv("SIMGEN_MAX_YAML_BYTES", "100")
    code, _, err = run_cli("validate", path)
    assert code == 2 and "bytes of YAML is above the limit of 100" in err and "SIMGEN_MAX_YAML_BYTES" in err


def test_config_files_share_the_limits(tmp_path):
    """Keypoint sets, pose configs, import specs: the same reader, so the same limits."""
    import pytest

    from simgen.errors import SceneError
    from simgen.keypoints import KeypointSet

    f = tmp_path / "kp.yaml"
    f.write_text("name: x\nkeypoints: &k {a: a, b: *k}\n")
    with pytest.raises(SceneError, match="refers to itself"):
        KeypointSet.load(f)
