"""Faults: a full disk, a killed parent, dead writers' temporary files, a failed first try.

The full-disk tests mount a real, tiny tmpfs (root only; skipped elsewhere or when the
mount fails: the ``tmpfs`` fixture of conftest.py). The kill -9 test renders 64x48 workbench frames with two workers and
checks that the workers die with their parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def tiny_disk(tmpfs):
    """A 96 KiB tmpfs."""
    return tmpfs("96k")


@pytest.fixture
def small_disk(tmpfs):
    """A 1 MiB tmpfs."""
    return tmpfs("1m")


def _fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` until ``leave`` bytes are free (tmpfs counts whole 4 KiB pages)."""
    import shutil

    filler = disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(disk).free - leave))
    assert shutil.disk_usage(disk).free == leave
    return filler


def _hidden(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.is_file()]


def test_atomic_write_removes_its_temporary_file_on_error(tmp_path):
    from simgen.dataset.writer import atomic_write

    target = tmp_path / "a.json"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("the writer failed")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_full_disk_while_writing_frames(tiny_disk):
    """ENOSPC mid-frame: an error naming the disk, no temporary file, earlier frames intact."""
    from simgen.dataset import CameraInfo, DatasetMeta, DatasetWriter, verify_dataset
    from simgen.errors import describe

    meta = DatasetMeta(scene={}, scene_sha256="0" * 64, seed=0, frames=50, keypoints=["a"],
                       cameras=[CameraInfo("top", 64, 48)])
    w = DatasetWriter(tiny_disk / "ds", meta)
    rng = np.random.default_rng(0)
    with pytest.raises(OSError) as info:
        for f in range(50):
            w.write_image("top", f, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))  # ~9 KB, incompressible
    assert info.value.errno == 28
    text = describe(info.value)
    assert text.startswith("disk full (") and str(tiny_disk) in text
    assert _hidden(tiny_disk / "ds") == []
    assert verify_dataset(tiny_disk / "ds").corrupt == []


WORKBENCH_SCENE = """\
    simgen: 1
    seed: 1
    frames: 2
    render: {engine: workbench, samples: 1, resolution: [640, 480]}
    rig:
      - {name: arena, asset: arena, size: [0.6, 0.45, 0.1]}
    cameras:
      - {name: top, position: [0, 0, 0.6], focal_mm: 6, sensor_mm: 6.4}
    lights:
      - {type: area, position: [0, 0, 1.2], energy: 200}
    """


@pytest.mark.blender
def test_full_disk_under_blenders_image_writer_is_named_and_a_rerun_resumes(run_cli, write_scene, small_disk):
    """Blender's writer leaves a cut-off PNG on a full disk and says nothing: the render names
    the disk, the final image path and the resume, and a rerun with space finishes the frame."""
    from PIL import Image

    from simgen.dataset import verify_dataset

    scene, out = write_scene(WORKBENCH_SCENE), small_disk / "ds"
    assert run_cli("render", scene, "--out", out, "-q")[0] == 0
    image = out / "images" / "top" / "000001.png"
    whole = np.asarray(Image.open(image))
    assert image.stat().st_size > 8192  # the frame's image cannot fit in what is left below
    for p in (out / "annotations" / "000001.json", image, out / "masks" / "top" / "000001.png"):
        p.unlink()
    filler = _fill(small_disk, 8192)  # room for dataset.json's temporary copy, not for the image
    code, stdout, err = run_cli("render", scene, "--out", out, "-q")
    assert code == 1 and "Traceback" not in stdout + err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: disk full ({image}): No space left on device: ")
    assert f"on the file system at {small_disk}" in err and "run the same command again" in err
    assert _hidden(out) == [] and verify_dataset(out).complete == [0]
    filler.unlink()
    assert run_cli("render", scene, "--out", out, "-q")[0] == 0
    assert verify_dataset(out).complete == [0, 1]
    assert np.array_equal(np.asarray(Image.open(image)), whole)  # the same frame, pixel for pixel


def test_a_cut_off_image_is_blamed_on_the_disk_only_when_it_is_full(tmp_path, monkeypatch):
    import errno
    import shutil
    from collections import namedtuple

    from simgen.dataset.writer import check_written, tmp_path_for
    from simgen.errors import describe

    final = tmp_path / "images" / "000003.png"
    final.parent.mkdir()
    tmp = tmp_path_for(final, ".png")
    tmp.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)  # no IEND chunk: cut off
    with pytest.raises(OSError) as info:
        check_written(tmp)
    assert info.value.errno == errno.EIO and info.value.filename == str(final)
    assert describe(info.value).startswith(f"input/output error ({final}): the image written was cut off at 108 bytes")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 4096, 4096))
    with pytest.raises(OSError) as info:
        check_written(tmp)
    assert info.value.errno == errno.ENOSPC
    assert describe(info.value).startswith(f"disk full ({final}): No space left on device: 4,096 bytes free")
    tmp.write_bytes(b"")
    with pytest.raises(OSError, match="was empty"):
        check_written(tmp)
    tmp.unlink()
    with pytest.raises(OSError, match="was empty"):
        check_written(tmp)


@pytest.mark.blender
def test_a_frame_renders_the_same_alone_as_after_another(run_cli, write_scene, tmp_path):
    """Workbench settings of the mask pass used to leak into the next frame's image, so a
    frame rendered first (alone, a resume, a worker's first) differed from the same frame
    rendered after another; and the PNG carried the date and render time."""
    from PIL import Image

    scene = write_scene(WORKBENCH_SCENE.replace("640, 480", "96, 72"))
    both, alone = tmp_path / "both", tmp_path / "alone"
    assert run_cli("render", scene, "--out", both, "-q")[0] == 0
    assert run_cli("render", scene, "--out", alone, "-q", "--start", "1", "--frames", "1")[0] == 0
    a = np.asarray(Image.open(both / "images" / "top" / "000001.png"))
    b = np.asarray(Image.open(alone / "images" / "top" / "000001.png"))
    assert np.array_equal(a, b)
    # and the same file: no wall-clock date or render time among the PNG's text chunks
    assert (both / "images" / "top" / "000001.png").read_bytes() == (alone / "images" / "top" / "000001.png").read_bytes()


def test_full_disk_under_opencvs_video_writer_is_named(tiny_disk, tmp_path):
    """OpenCV's VideoWriter leaves an mp4 without its index on a full disk and says nothing."""
    from PIL import Image

    from simgen.errors import describe
    from simgen.render.video import write_video

    rng = np.random.default_rng(0)
    images = []
    for i in range(30):  # noise: ~15 KB a frame in the video, more than the disk holds
        images.append(tmp_path / f"{i:06d}.png")
        Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)).save(images[-1])
    out = tiny_disk / "videos" / "clip_000000.mp4"
    with pytest.raises(OSError) as info:
        write_video(images, out, 30.0)
    assert info.value.errno == 28
    assert describe(info.value).startswith(f"disk full ({out}): No space left on device: ")
    assert list((tiny_disk / "videos").iterdir()) == []  # no video that a rerun would trust


def test_full_disk_under_a_labeled_video_is_one_line(tmpfs, tmp_path):
    """pose predict --labeled-video: OpenCV's writer fails silently and FFmpeg would print its
    own line when the broken file is opened; a fresh process, so FFmpeg starts as simgen sets it."""
    from PIL import Image
    from test_predict_folder import _model  # an untrained model of 64x48 frames

    _model().save(tmp_path / "model")
    frames = tmp_path / "frames"
    frames.mkdir()
    rng = np.random.default_rng(0)
    for i in range(30):  # noise: a ~45 KB video; the tables take ~20 KB of the 48
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(frames / f"f{i:02d}.png")
    out = tmpfs("48k") / "o"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("OPENCV_FFMPEG_LOGLEVEL", None)
    r = subprocess.run([sys.executable, "-m", "simgen.cli", "pose", "predict", str(tmp_path / "model"), str(frames),
                        "--out", str(out), "--labeled-video"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.startswith(f"error: disk full ({out}/framessimgenPose_labeled.mp4): No space left on device")
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["framessimgenPose.csv", "framessimgenPose.h5"]


def test_full_disk_during_export_leaves_nothing_behind(run_cli, tiny_disk, tmp_path):
    from export_fixtures import build_dataset

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=16)
    out = tiny_disk / "coco"
    code, stdout, err = run_cli("export", ds, "--format", "coco", "--out", out)
    assert code == 1
    assert err.startswith("error: disk full (") and "Traceback" not in stdout + err
    assert not out.exists()  # the next try (elsewhere, or after freeing space) is not refused


@pytest.mark.parametrize("fmt", ["dlc", "nwb"])
def test_full_disk_during_an_export_names_the_file_written(run_cli, tmpfs, tmp_path, fmt):
    """DeepLabCut copies the images (shutil names the source first), NWB writes through HDF5
    (its own error type around ENOSPC): both name the export's file."""
    from export_fixtures import build_dataset

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=4)
    out = tmpfs("40k") / "e"
    code, stdout, err = run_cli("export", ds, "--format", fmt, "--out", out)
    assert code == 1 and "Traceback" not in stdout + err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: disk full ({out}/"), err
    assert not out.exists()


def test_full_disk_under_a_sheet_or_a_label_project_names_the_file(run_cli, tmpfs, tmp_path):
    """Figures and sheets (PIL, matplotlib) raise a write error without a file name; they go
    through atomic_write, which names it; a cut-off label project is removed (no refused rerun)."""
    from export_fixtures import build_dataset
    from PIL import Image
    from test_predict_folder import _model

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=4)
    disk = tmpfs("8k")
    code, _, err = run_cli("preview", ds, "--out", disk / "p.png")
    assert code == 1 and err.startswith(f"error: disk full ({disk / 'p.png'}): No space left on device")
    assert list(disk.iterdir()) == []
    _model().save(tmp_path / "model")
    frames = tmp_path / "frames"
    frames.mkdir()
    rng = np.random.default_rng(0)
    for i in range(30):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(frames / f"f{i:02d}.png")
    out = tmpfs("12k") / "s"
    code, _, err = run_cli("suggest", frames, "--model", tmp_path / "model", "--out", out, "--n", "4", "--sample", "30")
    assert code == 1 and err.startswith(f"error: disk full ({out}/labeled-data/frames/img"), err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_dead_writers_temporaries_are_removed_annotations_included(tmp_path):
    from export_fixtures import build_dataset

    from simgen.dataset import Layout
    from simgen.dataset.verify import stray_temporaries
    from simgen.dataset.writer import DatasetWriter, _host_tag, frame_files, remove_dead_temporaries

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=3)
    host = _host_tag()
    dead = subprocess.Popen(["true"])
    dead.wait()
    layout = Layout(ds)
    stale = [layout.annotations_dir / f".000001.json.{dead.pid}.{host}c0de.tmp",
             layout.image("top", 1).with_name(f".000001.png.{dead.pid}.{host}c0de.png")]
    live = layout.annotations_dir / f".000001.json.{os.getpid()}.{host}5678.tmp"
    for p in [*stale, live]:
        p.write_text("half-written")
    assert set(stray_temporaries(layout)) == {*stale, live}
    foreign = layout.annotations_dir / f".000002.json.{dead.pid}.ffffc0de.tmp"  # another host's writer
    foreign.write_text("half-written")
    removed = remove_dead_temporaries(frame_files(layout, ["top"], 1))
    assert sorted(removed) == sorted(stale)
    assert stray_temporaries(layout) == sorted([live, foreign])  # a live writer's file is left alone
    os.utime(foreign, (time.time() - 7200, time.time() - 7200))
    stale[0].write_text("half-written")
    DatasetWriter(ds, layout_meta(layout))  # the next writer (render, style apply) sweeps the dataset
    assert stray_temporaries(layout) == [live]


def layout_meta(layout):
    from simgen.dataset import DatasetMeta

    return DatasetMeta.load(layout.meta)


def test_a_failed_first_render_leaves_no_dataset_behind(write_scene, tmp_path):
    from simgen.render.run import plan, run
    from simgen_testdata import MINIMAL_SCENE

    scene = write_scene(MINIMAL_SCENE)
    out = tmp_path / "out"
    p = plan(scene, out, frames=2)
    assert (out / "dataset.json").is_file()

    def broken(scene, frame):
        raise OSError(28, "No space left on device", str(out / "images"))

    with pytest.raises(OSError):
        run(p, progress=False, sample=broken)
    assert not out.exists()
    p2 = plan(scene, out, frames=2, overrides=["seed=8"])  # a different run is not refused
    assert p2.todo == [0, 1]


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(d.name))
    return out


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.blender
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_minus_9_of_render_parent_takes_its_workers(write_scene, tmp_path):
    scene = write_scene("""\
        simgen: 1
        seed: 7
        frames: 400
        render: {engine: workbench, samples: 1, resolution: [64, 48]}
        rig:
          - {name: arena, asset: arena, size: [0.6, 0.45, 0.1]}
        cameras:
          - {name: top, position: [0, 0, 0.6], focal_mm: 6, sensor_mm: 6.4}
        lights:
          - {type: area, position: [0, 0, 1.2], energy: 200}
        """)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-m", "simgen.cli", "render", str(scene), "--out", str(out),
                               "--workers", "2", "-q"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline and len(list((out / "annotations").glob("*.json"))) < 2:
            assert parent.poll() is None, "the render stopped before it was killed"
            time.sleep(0.1)
        workers = _children(parent.pid)
        assert len(workers) >= 2, workers  # two workers (and multiprocessing's resource tracker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_running(w) for w in workers):
            time.sleep(0.1)
        alive = [w for w in workers if _running(w)]
        assert alive == [], f"workers still running after their parent was killed: {alive}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for w in _children(parent.pid):
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass
    done = len(list((out / "annotations").glob("*.json")))
    from simgen.dataset import verify_dataset

    assert verify_dataset(out).corrupt == [] and done >= 2


@pytest.mark.blender
def test_a_camera_that_never_sees_the_animal_is_warned_about(run_cli, write_scene, tmp_path):
    scene = write_scene("""\
        simgen: 1
        seed: 1
        frames: 5
        render: {engine: workbench, samples: 1, resolution: [64, 48]}
        cameras:
          - {name: top, position: [0, 0, 0.6], focal_mm: 6, sensor_mm: 6.4}
          - {name: away, position: [0, 0, 0.3], look_at: [0, 0, 2.0], focal_mm: 50, sensor_mm: 6.4}
        lights:
          - {type: area, position: [0, 0, 1.2], energy: 200}
        """)
    code, _, err = run_cli("render", scene, "--out", tmp_path / "out", "-q")
    assert code == 0, err
    assert "warning: camera(s) away did not see the animal in any of the first 5 frames" in err
    assert "top" not in err.split("camera(s)")[1].split("did not")[0]
