"""The shipped scenes load, sample, and describe what the docs say (no rendering)."""

import numpy as np
import pytest

from simgen.render.camera import PinholeCamera
from simgen.render.project import project
from simgen.resources import data_dir
from simgen.sampling import sample_frame
from simgen.scene import load_scene

SCENES = ["openfield", "headfixed_wheel", "multiview_arena", "openfield_clips"]


@pytest.mark.parametrize("name", SCENES)
def test_scene_loads_and_samples(name):
    s = load_scene(data_dir("scenes") / f"{name}.yaml").scene
    spec = sample_frame(s, 0)
    assert spec.cameras and spec.animals[0].asset == "mouse"


def test_openfield_mouse_size_matches_the_real_frames():
    """~116 px snout to tail base in the real labels; the rest-pose mouse (9.4 cm) at the
    arena center should measure about that through the scene's nominal camera."""
    s = load_scene(data_dir("scenes") / "openfield.yaml").scene
    cam = PinholeCamera.from_spec(sample_frame(s, 0).cameras[0])
    uv, _ = project(np.array([[0.05, 0, 0.0135], [-0.044, 0, 0.014]]), cam.K, cam.R, cam.t)
    assert 105 < np.linalg.norm(uv[0] - uv[1]) < 130
    assert (cam.width, cam.height) == (640, 480)
