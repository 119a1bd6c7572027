"""Dataset directory: writer, reader, atomic annotation, verify (library and CLI)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from simgen.dataset import (
    AnimalLabels,
    CameraInfo,
    CameraLabel,
    Dataset,
    DatasetMeta,
    DatasetWriter,
    FrameAnnotation,
    verify_dataset,
)
from simgen.errors import DatasetError

W, H = 32, 24


def make_meta(frames: int = 4, sha: str = "abc") -> DatasetMeta:
    return DatasetMeta(scene={"simgen": 1}, scene_sha256=sha, seed=0, frames=frames,
                       keypoints=["snout", "tail_base"], cameras=[CameraInfo("top", W, H)],
                       skeleton=[("snout", "tail_base")], mask_ids={"background": 0, "animal": 1, "arena": 2})


def make_annotation(frame: int) -> FrameAnnotation:
    K = np.array([[30.0, 0, (W - 1) / 2], [0, 30.0, (H - 1) / 2], [0, 0, 1]])
    kp = np.array([[3.5, 4.25, 2], [40.0, 5.0, 0]])
    return FrameAnnotation(frame=frame, params={"frame": frame}, animals=[AnimalLabels(
        None, 0, np.array([[0.01, 0.0, 0.01], [-0.05, 0.0, 0.01]]),
        {"top": CameraLabel(K=K, R=np.eye(3), t=np.array([0, 0, 0.6]), width=W, height=H,
                            keypoints=kp, bbox=np.array([1.0, 2.0, 10.0, 12.0]))})])


def write_frame(writer: DatasetWriter, frame: int) -> None:
    rng = np.random.default_rng(frame)
    writer.write_image("top", frame, rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
    writer.write_mask("top", frame, np.ones((H, W), np.uint8))
    writer.write_annotation(make_annotation(frame))


@pytest.fixture
def dataset_dir(tmp_path):
    writer = DatasetWriter(tmp_path / "ds", make_meta())
    for f in range(4):
        write_frame(writer, f)
    return tmp_path / "ds"


def test_layout_matches_design(dataset_dir):
    assert (dataset_dir / "dataset.json").is_file()
    assert (dataset_dir / "images" / "top" / "000002.png").is_file()
    assert (dataset_dir / "masks" / "top" / "000002.png").is_file()
    assert (dataset_dir / "annotations" / "000002.json").is_file()
    meta = json.loads((dataset_dir / "dataset.json").read_text())
    assert meta["format"] == "simgen-dataset/1"
    assert meta["keypoints"] == ["snout", "tail_base"] and meta["skeleton"] == [["snout", "tail_base"]]
    assert meta["cameras"] == [{"name": "top", "width": W, "height": H}]
    ann = json.loads((dataset_dir / "annotations" / "000002.json").read_text())
    assert set(ann) == {"frame", "params", "keypoints_3d", "cameras"}
    assert set(ann["cameras"]["top"]) == {"K", "R", "t", "width", "height", "keypoints", "bbox"}
    assert ann["cameras"]["top"]["keypoints"][0] == [3.5, 4.25, 2]


def test_reader_round_trip(dataset_dir):
    ds = Dataset(dataset_dir)
    assert ds.frames() == [0, 1, 2, 3] and len(ds) == 4
    ann = ds.annotation(2)
    ref = make_annotation(2)
    (animal,), (want,) = ann.animals, ref.animals  # one animal: a list of one, unnamed
    assert animal.name is None and animal.track == 0 and ann.one_animal
    np.testing.assert_array_equal(animal.cameras["top"].keypoints, want.cameras["top"].keypoints)
    np.testing.assert_array_equal(animal.keypoints_3d, want.keypoints_3d)
    assert animal.cameras["top"].visibility.tolist() == [2, 0]
    assert len(ann.cameras["top"].keypoints) == 0 and ann.cameras["top"].width == W  # the camera alone
    assert ds.load_image("top", 1).shape == (H, W, 3)
    assert ds.load_mask("top", 1).dtype == np.uint8


def test_incomplete_frames_are_not_listed(dataset_dir):
    (dataset_dir / "annotations" / "000001.json").write_text("{not json")
    (dataset_dir / "images" / "top" / "000003.png").unlink()
    assert Dataset(dataset_dir).frames() == [0, 2]


def test_verify_clean(dataset_dir, run_cli):
    report = verify_dataset(dataset_dir)
    assert report.ok and report.complete == [0, 1, 2, 3]
    code, out, _ = run_cli("verify", dataset_dir)
    assert code == 0 and "4/4 frames complete, 0 missing, 0 corrupt" in out


@pytest.mark.parametrize("damage,reason", [
    ("truncate_image", "top image unreadable"),
    ("bad_json", "annotation does not parse"),
    ("wrong_size", "top image is 16x16, expected 32x24"),
    ("missing_image", "top image missing"),
    ("bad_mask", "top mask unreadable"),
])
def test_verify_reports_corruption(dataset_dir, run_cli, damage, reason):
    img = dataset_dir / "images" / "top" / "000001.png"
    if damage == "truncate_image":
        img.write_bytes(img.read_bytes()[:60])
    elif damage == "bad_json":
        (dataset_dir / "annotations" / "000001.json").write_text('{"frame": 1, "camer')
    elif damage == "wrong_size":
        from PIL import Image

        Image.new("RGB", (16, 16)).save(img)
    elif damage == "missing_image":
        img.unlink()
    elif damage == "bad_mask":
        (dataset_dir / "masks" / "top" / "000001.png").write_bytes(b"\x89PNG garbage")
    report = verify_dataset(dataset_dir)
    assert not report.ok and [f for f, _ in report.corrupt] == [1]
    assert reason in report.corrupt[0][1]
    code, out, _ = run_cli("verify", dataset_dir)
    assert code == 1 and f"corrupt frame 1: {reason}" in out


def test_verify_reports_missing(dataset_dir, run_cli):
    (dataset_dir / "annotations" / "000003.json").unlink()
    code, out, _ = run_cli("verify", dataset_dir)
    assert code == 1 and "missing: 3" in out


def test_verify_not_a_dataset(tmp_path, run_cli):
    code, _, err = run_cli("verify", tmp_path)
    assert code == 1 and "not found; is this a simgen dataset directory?" in err


def test_writes_are_atomic_no_temp_left(dataset_dir):
    leftovers = [p for p in dataset_dir.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_annotation_written_last_marks_done(tmp_path):
    writer = DatasetWriter(tmp_path / "ds", make_meta())
    writer.write_image("top", 0, np.zeros((H, W, 3), np.uint8))
    assert Dataset(tmp_path / "ds").frames() == []  # image alone is not a frame
    writer.write_annotation(make_annotation(0))
    assert Dataset(tmp_path / "ds").frames() == [0]


def test_joining_writer_must_match_scene(tmp_path):
    DatasetWriter(tmp_path / "ds", make_meta())
    DatasetWriter(tmp_path / "ds", make_meta())  # same scene: a second shard joins
    with pytest.raises(DatasetError, match="scene_sha256 differs"):
        DatasetWriter(tmp_path / "ds", make_meta(sha="other"))


def test_joining_writer_extends_frame_range(tmp_path):
    DatasetWriter(tmp_path / "ds", make_meta(frames=4))
    meta = make_meta(frames=4)
    meta.start = 4
    DatasetWriter(tmp_path / "ds", meta)
    assert DatasetMeta.load(tmp_path / "ds" / "dataset.json").frame_indices == range(0, 8)


def test_concurrent_writers_create_meta_once(tmp_path):
    """Many processes opening the same dir: exactly one dataset.json, always valid."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=DatasetWriter, args=(tmp_path / "ds", make_meta())) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs)
    assert DatasetMeta.load(tmp_path / "ds" / "dataset.json").scene_sha256 == "abc"
    assert [p.name for p in (tmp_path / "ds").iterdir() if p.name.endswith(".tmp")] == []
    assert os.listdir(tmp_path / "ds") == ["dataset.json"]


def test_verify_accepts_frames_dropped_by_the_style_gate(dataset_dir, run_cli):
    meta = DatasetMeta.load(dataset_dir / "dataset.json")
    meta.extra["style"] = {"method": "classic", "dropped": [3]}
    (dataset_dir / "dataset.json").write_text(json.dumps(meta.to_json()))
    (dataset_dir / "annotations" / "000003.json").unlink()
    report = verify_dataset(dataset_dir)
    assert report.ok and report.dropped == [3] and report.missing == []
    code, out, _ = run_cli("verify", dataset_dir)
    assert code == 0 and "1 frame(s) dropped on purpose by the style gate" in out


# -- the one list of animals and the file's two forms (issue 33 item 5) ----------------------
GOLDEN = Path(__file__).resolve().parents[1] / "render" / "golden"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_one_animal_annotation_files_read_and_write_back_byte_identical(path):
    from simgen.dataset.writer import _json_bytes

    text = path.read_bytes()
    ann = FrameAnnotation.from_json(json.loads(text))
    assert ann.one_animal and len(ann.animals) == 1
    assert _json_bytes(ann.to_json()) == text


def test_several_animals_are_written_as_instances_and_read_back():
    one = make_annotation(3).animals[0]
    kp2 = one.cameras["top"].keypoints + [1.0, 2.0, 0.0]
    two = [AnimalLabels("a", 0, one.keypoints_3d, one.cameras),
           AnimalLabels("b", 1, one.keypoints_3d + 0.01, {"top": one.cameras["top"].with_labels(kp2, None)})]
    ann = FrameAnnotation(frame=3, params={"frame": 3}, animals=two)
    d = ann.to_json()
    assert list(d) == ["frame", "params", "cameras", "instances"] and not ann.one_animal
    assert set(d["cameras"]["top"]) == {"K", "R", "t", "width", "height"}
    assert [i["name"] for i in d["instances"]] == ["a", "b"] and d["instances"][1]["cameras"]["top"]["bbox"] is None
    back = FrameAnnotation.from_json(json.loads(json.dumps(d)))
    assert back.to_json() == d
    np.testing.assert_array_equal(back.animals[1].cameras["top"].keypoints, kp2)
    np.testing.assert_array_equal(back.animals[1].cameras["top"].K, one.cameras["top"].K)
    # a list of one named animal is one of several (a scene's animal.count: 1): the instances form
    named = FrameAnnotation(frame=3, params={}, animals=[two[0]])
    assert "instances" in named.to_json() and not named.one_animal


def test_pick_camera_is_the_one_camera_rule():
    from simgen.dataset.meta import CameraInfo, DatasetMeta
    from simgen.errors import DatasetError

    def meta(*names):
        return DatasetMeta({}, "", 0, 1, ["a"], [CameraInfo(n, 8, 6) for n in names])

    assert meta("top").pick_camera(None) == "top"
    assert meta("top", "side").pick_camera("side") == "side"
    with pytest.raises(DatasetError, match="the dataset has cameras top, side; pick one with --camera"):
        meta("top", "side").pick_camera(None)  # never silently the first
    with pytest.raises(DatasetError, match="no camera 'front'"):
        meta("top").pick_camera("front")
