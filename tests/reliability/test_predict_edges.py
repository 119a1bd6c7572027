"""``pose predict`` and ``pose evaluate`` of a top-down model (several animals) on input it was
not trained for: frames with none in view, more than it keeps, another size, a folder of
mixed sizes; labels with a missing or extra animal or point.

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
    # the boxes table gives the part of each box in view (pixel edges: -0.5 .. size - 0.5)
    assert (boxes[["x0", "y0"]] >= -0.5).all().all() and (boxes[["x1"]] <= 199.5).all().all()
    assert (boxes["y1"] <= 149.5).all()
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


def _project(path, images, pts, names, monkeypatch):
    import test_pose_finder
    from test_pose_finder import write_dlc_multi

    monkeypatch.setattr(test_pose_finder, "NAMES", names)
    return write_dlc_multi(path, images, pts)


@pytest.mark.parametrize("case, labeled, points", [
    ("missing_animal", 7, 28), ("missing_point", 8, 31), ("extra_animal", 12, 48), ("extra_point", 8, 32)])
def test_evaluate_labels_with_a_missing_or_extra_animal_or_point(topdown_model, run_cli, tmp_path, monkeypatch,
                                                                 case, labeled, points):
    """4 images of 2 labeled animals (4 points each): every labeled animal and point counts once;
    a labeled point the model does not know is left out."""
    import json

    from test_pose_finder import NAMES, make_animals

    rng = np.random.default_rng(5)
    images, pts = make_animals(4, rng)
    names = NAMES
    if case == "missing_animal":
        pts[1, 1] = np.nan
    elif case == "missing_point":
        pts[2, 0, 1] = np.nan
    elif case == "extra_animal":  # three where the model keeps two
        images, pts = make_animals(4, rng, count=3, size=(160, 120))
    else:
        pts, names = np.concatenate([pts, pts[:, :, :1] + 1], axis=2), [*NAMES, "nose2"]
    proj = _project(tmp_path / "proj", images, pts, names, monkeypatch)
    code, out, err = run_cli("pose", "evaluate", topdown_model, proj, "--out", tmp_path / "found")
    assert code == 0, out + err
    assert json.loads((tmp_path / "found" / "metrics.json").read_text())["animals"]["labeled"] == labeled
    code, out, err = run_cli("pose", "evaluate", topdown_model, proj, "--oracle-boxes", "--out", tmp_path / "oracle")
    assert code == 0, out + err
    m = json.loads((tmp_path / "oracle" / "metrics.json").read_text())
    assert m["frames"] == labeled and m["all"]["n"] == points
    assert (tmp_path / "oracle" / "worst_frames.png").stat().st_size > 0


def test_evaluate_labels_without_a_models_point_or_any_animal_is_one_line(topdown_model, run_cli, tmp_path,
                                                                          monkeypatch):
    from test_pose_finder import NAMES, make_animals

    images, pts = make_animals(4, np.random.default_rng(5))
    proj = _project(tmp_path / "fewer", images, pts[:, :, :3], NAMES[:3], monkeypatch)
    code, out, err = run_cli("pose", "evaluate", topdown_model, proj)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in out + err
    assert f"{proj}: keypoints tailbase missing" in err
    proj = _project(tmp_path / "none", images, np.full_like(pts, np.nan), NAMES, monkeypatch)
    code, out, err = run_cli("pose", "evaluate", topdown_model, proj)
    assert code == 1 and err.strip() == f"error: {proj}: no individual is labeled in any image"


def test_predict_on_a_full_disk_names_the_file_and_leaves_only_whole_files(topdown_model, run_cli, tmp_path,
                                                                           tmpfs):
    import pandas as pd
    from test_pose_finder import make_animals

    frames = _folder(tmp_path / "f", make_animals(3, np.random.default_rng(3))[0])
    out = tmpfs("16k") / "pp"  # the table (~15 KB) and its CSV do not both fit
    code, stdout, err = run_cli("pose", "predict", topdown_model, frames, "--out", out, "--threshold", "0")
    assert code == 1 and "Traceback" not in stdout + err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: disk full ({out}/fsimgenPose") and "No space left on device" in err
    left = sorted(p.name for p in out.iterdir())
    assert not [n for n in left if n.startswith(".")]  # no temporary file
    for name in left:  # what is there is whole
        if name.endswith(".h5"):
            assert len(pd.read_hdf(out / name, "df_with_missing")) == 3
        elif name.endswith(".csv"):
            assert len(pd.read_csv(out / name)) > 0
