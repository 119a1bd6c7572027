"""``pose predict`` of a top-down model (several animals) on frames it was not trained for:
none in view, more than it keeps, another size, a folder of mixed sizes.

The model is trained for 2 steps (seconds): these tests are about what is written and said,
not about accuracy (an untrained finder's boxes may lie anywhere); ``--threshold 0`` makes it
report boxes, ``--threshold 1`` none."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

TINY = {"input_size": [48, 48], "steps": 2, "batch_size": 4, "val_every": 2, "checkpoint_every": 2,
        "val_fraction": 0.25, "threads": 1, "device": "cpu",
        "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4},
        "finder": {"steps": 2, "input_size": [96, 64]}}


@pytest.fixture(scope="module")
def topdown_model(tmp_path_factory):
    from test_pose_finder import make_animals, write_dlc_multi
    from typer.testing import CliRunner

    from simgen.commands.pose import app

    tmp = tmp_path_factory.mktemp("topdown")
    images, pts = make_animals(8, np.random.default_rng(0))  # 96x64, two animals each
    train = write_dlc_multi(tmp / "train", images, pts)
    (tmp / "c.yaml").write_text(yaml.safe_dump(TINY))
    res = CliRunner().invoke(app, ["train", str(train), "--out", str(tmp / "m"), "--config", str(tmp / "c.yaml")])
    assert res.exit_code == 0, res.output
    return tmp / "m"


def _folder(path, images):
    from PIL import Image

    path.mkdir()
    for i, im in enumerate(images):
        Image.fromarray(im).save(path / f"f{i}.png")
    return path


def _outputs(out, stem):
    import pandas as pd
    import sleap_io as sio

    table = pd.read_hdf(out / f"{stem}simgenPose.h5", "df_with_missing")
    boxes = pd.read_csv(out / f"{stem}simgenPose_boxes.csv")
    slp = sio.load_slp(str(out / f"{stem}simgenPose.predictions.slp"))
    assert (out / f"{stem}simgenPose_sheet.png").stat().st_size > 0
    return table, boxes, slp


def test_no_animal_in_any_frame_writes_empty_rows(topdown_model, run_cli, tmp_path):
    frames = _folder(tmp_path / "empty", [np.full((64, 96, 3), 50, np.uint8)] * 3)
    code, out, err = run_cli("pose", "predict", topdown_model, frames, "--out", tmp_path / "o", "--threshold", "1")
    assert code == 0, out + err
    table, boxes, slp = _outputs(tmp_path / "o", "empty")
    assert list(table.index) == ["f0.png", "f1.png", "f2.png"] and table.isna().all().all()
    assert len(boxes) == 0 and len(slp.labeled_frames) == 0


def test_frames_of_another_size_and_more_animals_than_trained(topdown_model, run_cli, tmp_path):
    from test_pose_finder import make_animals

    images = make_animals(3, np.random.default_rng(1), size=(200, 150), count=3)[0]  # trained on 96x64, 2 animals
    frames = _folder(tmp_path / "big", images)
    code, out, err = run_cli("pose", "predict", topdown_model, frames, "--out", tmp_path / "o", "--threshold", "0")
    assert code == 0, out + err
    table, boxes, slp = _outputs(tmp_path / "o", "big")
    assert len(table) == 3 and set(table.columns.get_level_values("individuals")) == {"animal0", "animal1"}
    assert len(boxes) > 0 and (boxes.groupby("frame").size() <= 2).all()  # the two best-scoring are kept
    assert sorted(set(boxes["frame"])) == [f"f{i}.png" for i in range(3)]
    x = table.xs("x", level="coords", axis=1)
    posed = np.stack([x[("simgenPose", a)].notna().any(axis=1) for a in ("animal0", "animal1")], 1).sum(1)
    assert posed.tolist() == boxes.groupby("frame").size().tolist()  # a pose for each box kept
    assert tuple(slp.videos[0].shape) == (3, 150, 200, 3)  # the frames' own size


def test_a_folder_of_mixed_sizes_is_one_line(topdown_model, run_cli, tmp_path):
    from test_pose_finder import make_animals

    rng = np.random.default_rng(2)
    frames = _folder(tmp_path / "mixed", [make_animals(1, rng)[0][0], make_animals(1, rng, size=(200, 150))[0][0]])
    code, out, err = run_cli("pose", "predict", topdown_model, frames, "--out", tmp_path / "o")
    assert code == 1 and "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert "f1.png: 200x150, but the folder's frames are 96x64" in err
