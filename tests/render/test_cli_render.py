"""``simgen render``, ``verify`` and ``preview`` through the CLI, and what the contact sheet draws."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.blender

SCENE = """\
simgen: 1
seed: 5
frames: 2
render: {{engine: workbench, samples: 1, denoise: false, resolution: [96, 72]}}
animal:
  asset: {animal}
  placement: {{yaw: {{uniform: [0, 360]}}}}
rig:
  - {{name: arena, asset: arena, size: [0.2, 0.2, 0.03], material: {{color: 0.2}}}}
cameras:
  - {{name: top, position: [0, 0, 0.25], focal_mm: 30, sensor_mm: 36}}
lights:
  - {{type: area, position: [0, 0, 1.0], energy: 20}}
keypoints: {{names: {kp}}}
"""
KP = "name: toy\nkeypoints: {snout: snout, back: back, belly_point: belly_point, tail_base: tail_base}\n"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, toy_animal_dir):
    from typer.testing import CliRunner

    from simgen.cli import app

    d = tmp_path_factory.mktemp("cli_render")
    (d / "kp.yaml").write_text(KP)
    (d / "scene.yaml").write_text(SCENE.format(animal=toy_animal_dir, kp=d / "kp.yaml"))
    res = CliRunner().invoke(app, ["render", str(d / "scene.yaml"), "--out", str(d / "out"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "rendered 2 frame(s)" in res.output
    return d / "out"


def test_render_then_verify_through_the_cli(rendered):
    from typer.testing import CliRunner

    from simgen.cli import app

    res = CliRunner().invoke(app, ["verify", str(rendered)])
    assert res.exit_code == 0 and "2/2 frames complete, 0 missing, 0 corrupt" in res.output, res.output


def test_preview_draws_every_visible_keypoint_in_its_color_and_the_box(rendered):
    from PIL import Image
    from typer.testing import CliRunner

    from simgen.cli import app
    from simgen.dataset import Dataset
    from simgen.render.contact_sheet import _palette

    out = rendered.parent / "sheet.png"
    res = CliRunner().invoke(app, ["preview", str(rendered), "--out", str(out), "--n", "1", "--tile-width", "96"])
    assert res.exit_code == 0 and out.is_file(), res.output
    sheet = np.asarray(Image.open(out).convert("RGB"))
    assert sheet.shape == (72, 96, 3)  # one tile at the render's own size
    label = Dataset(rendered).annotation(0).animals[0].cameras["top"]
    kp = np.asarray(label.keypoints, float)
    colors = _palette(len(kp))
    visible = [i for i in range(len(kp)) if kp[i, 2] == 2]
    assert visible, "the toy animal shows keypoints from above"
    # each visible keypoint's center pixel carries its palette color (later dots may cover earlier ones)
    hits = [i for i in visible if tuple(sheet[int(round(kp[i, 1])), int(round(kp[i, 0]))]) == colors[i]]
    assert hits and hits[-1] == visible[-1], (hits, visible)
    x0, y0, x1, y1 = (int(round(v)) for v in label.bbox)
    top_edge = sheet[y0, x0 + 1:x1]
    assert (np.abs(top_edge.astype(int) - (255, 220, 0)).sum(axis=1) < 60).mean() > 0.5  # the yellow box


def test_preview_of_an_unknown_camera_is_one_clear_line(rendered, run_cli):
    code, out, err = run_cli("preview", rendered, "--camera", "side", "--out", rendered.parent / "x.png")
    assert code == 1 and "no camera 'side' (has top)" in err and "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1
