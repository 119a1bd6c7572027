"""The shipped scene made from the open-field video loads, points at its plate, and
shows the mouse at the size the real frames do."""

import numpy as np

from simgen.render.camera import PinholeCamera
from simgen.render.project import project
from simgen.resources import data_dir
from simgen.sampling import sample_frame
from simgen.scene import load_scene


def test_openfield_from_video_loads_with_its_plate_and_mouse_size():
    s = load_scene(data_dir("scenes") / "openfield_from_video.yaml").scene
    spec = sample_frame(s, 0)
    from pathlib import Path

    assert spec.background is not None and Path(spec.background.plate).is_file()
    cam = PinholeCamera.from_spec(spec.cameras[0])
    assert (cam.width, cam.height) == (640, 480)
    # ~116 px snout to tail base in the real labels (the arena size was chosen by this ruler)
    uv, _ = project(np.array([[0.05, 0, 0.0135], [-0.044, 0, 0.014]]), cam.K, cam.R, cam.t)
    assert 105 < np.linalg.norm(uv[0] - uv[1]) < 130
