"""Data enters checked: labeled tables row by row, training settings, cameras, datasets."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.errors import SimgenError


def _project(tmp_path, n=4):
    from pose_toy import make_toy_images, write_dlc_project

    images, pts = make_toy_images(n, np.random.default_rng(0), size=(64, 48))
    return write_dlc_project(tmp_path / "proj", images, pts)


def test_dlc_csv_cut_off_mid_row_is_refused(tmp_path):
    from simgen.export.labels import read_dlc

    proj = _project(tmp_path)
    csv = proj / "labeled-data" / "toy" / "CollectedData_toy.csv"
    text = csv.read_text().rstrip("\n")
    csv.write_text(text[: text.rindex(",") + 3])  # the last number cut to its first two characters
    with pytest.raises(SimgenError, match=r"CollectedData_toy.csv:7: the file ends mid-row"):
        read_dlc(proj)
    csv.write_text(text[: text.rindex(",")] + "\n")  # cut at a cell boundary, then a newline
    with pytest.raises(SimgenError, match=r"CollectedData_toy.csv:7: 6 cells, expected 7 .*cut off"):
        read_dlc(proj)


def test_dlc_csv_with_text_where_a_number_belongs(tmp_path):
    from simgen.export.labels import read_dlc

    proj = _project(tmp_path)
    csv = proj / "labeled-data" / "toy" / "CollectedData_toy.csv"
    lines = csv.read_text().splitlines()
    cells = lines[4].split(",")
    cells[2] = "12.5abc"
    lines[4] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(SimgenError, match=r":5: column 3 is '12.5abc', not a number"):
        read_dlc(proj)


def test_pose_train_steps_zero_is_refused_through_the_option(run_cli, tmp_path):
    code, _, err = run_cli("pose", "train", tmp_path / "nothing", "--out", tmp_path / "m", "--steps", "0")
    assert code == 2 and "command line: steps: must be >= 1 (got 0)" in err
    assert not (tmp_path / "m").exists()


def test_pose_train_steps_zero_is_refused_in_a_config(tmp_path):
    from simgen.pose.config import load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text("batch_size: 4\nsteps: 0\n")
    with pytest.raises(SimgenError, match=r"c.yaml:2: steps: must be >= 1"):
        load_config(cfg)


def test_camera_looking_at_itself_is_rejected_by_validate(run_cli, write_scene):
    from simgen_testdata import MINIMAL_SCENE

    path = write_scene(MINIMAL_SCENE.replace("    jitter: {position: {normal: [0, 0.01], clip: [-0.02, 0.02]}}\n", "")
                       .replace("position: [0, 0, 0.6]", "position: [0.1, 0.2, 0.3]\n    look_at: [0.1, 0.2, 0.3]"))
    code, _, err = run_cli("validate", path)
    assert code == 2 and "cameras[0].look_at: equals the camera's position" in err


def test_export_and_training_leave_out_corrupt_frames_and_say_how_many(run_cli, tmp_path):
    from export_fixtures import build_dataset

    from simgen.export.labels import from_dataset

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=5)
    img = ds / "images" / "top" / "000002.png"
    img.write_bytes(img.read_bytes()[:200])  # truncated: verify calls the frame corrupt
    labels = from_dataset(ds)  # what `pose train` reads
    assert labels.frames == [0, 1, 3, 4]
    code, out, err = run_cli("export", ds, "--format", "coco", "--out", tmp_path / "coco")
    assert code == 0, err
    assert "warning: " in err and "1 corrupt or incomplete frame(s) not used (first: frame 2" in err
    import json

    coco = json.loads(next((tmp_path / "coco").rglob("*.json")).read_text())
    assert len(coco["images"]) == 4
