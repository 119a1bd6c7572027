"""Failures that are not SimgenErrors (the OS, a library, a bug) reach the user as one line.

The one error boundary is ``simgen.cli.main``: each test runs a command through it and
checks the exit code, the ``error: <what> (<path>): <why>`` line and that no traceback
is printed.
"""

from __future__ import annotations

import errno

import pytest

from simgen.errors import describe, one_line


def _no_traceback(*texts: str) -> None:
    for t in texts:
        assert "Traceback" not in t, t


@pytest.mark.parametrize("code, what", [
    (errno.ENOSPC, "disk full"), (errno.EROFS, "read-only file system"), (errno.EACCES, "permission denied"),
    (errno.ENOTDIR, "not a folder"), (errno.EDQUOT, "disk quota exceeded"),
])
def test_os_errors_are_one_line_with_the_path(code, what):
    import os

    text = describe(OSError(code, os.strerror(code), "/data/out/images/top/000001.png"))
    assert text.startswith(f"{what} (/data/out/images/top/000001.png): ")
    assert "\n" not in text


def test_a_full_disk_names_the_file_written_not_the_one_read():
    import os

    err = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/ds/images/top/000003.png")
    err.filename2 = "/full/export/img000003.png"  # shutil.copyfile's ENOSPC: source, then destination
    assert describe(err).startswith("disk full (/full/export/img000003.png): No space left on device")
    hdf5 = RuntimeError("Disable slist on flush dest failure failed (file write failed: time = Mon Dec 7 2026, "
                        "filename = '/full/e/labels.nwb', file descriptor = 3, errno = 28, error message = "
                        "'No space left on device', buf = 0x5, total write size = 4984)")
    assert describe(hdf5).startswith("disk full (/full/e/labels.nwb): No space left on device; free some space")


def test_library_failures_are_described():
    import pickle
    import zipfile

    assert describe(pickle.UnpicklingError("invalid load key")).startswith("corrupt or truncated file")
    assert describe(zipfile.BadZipFile("bad")).startswith("corrupt or truncated file")
    assert describe(RecursionError("maximum recursion depth")).startswith("input nested too deeply")
    assert describe(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")).startswith("not text")
    assert describe(ValueError("a bug")) is None


def test_unexpected_error_is_one_line_and_a_traceback_file(run_cli, monkeypatch, tmp_path):
    import simgen.scene

    def boom(*a, **k):
        raise ValueError("something internal broke")

    monkeypatch.setenv("SIMGEN_CRASH_DIR", str(tmp_path / "crash"))
    monkeypatch.setattr(simgen.scene, "load_scene", boom)
    code, out, err = run_cli("validate", tmp_path / "any.yaml")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unexpected ValueError: something internal broke")
    _no_traceback(out, err)
    files = list((tmp_path / "crash").glob("simgen-traceback-*.txt"))
    assert len(files) == 1 and "Traceback" in files[0].read_text() and str(files[0]) in err

    code, out, err = run_cli("--debug", "validate", tmp_path / "any.yaml")
    assert code == 1 and "Traceback (most recent call last)" in err and "boom" in err


def test_eof_error_is_not_aborted(run_cli, monkeypatch, tmp_path):
    """click turns an EOFError into 'Aborted!'; a truncated file must read as one."""
    import simgen.scene

    def truncated(*a, **k):
        raise EOFError("Ran out of input")

    monkeypatch.setattr(simgen.scene, "load_scene", truncated)
    code, _, err = run_cli("validate", tmp_path / "any.yaml")
    assert code == 1 and err.strip().startswith("error: corrupt or truncated file") and "Aborted" not in err


def test_out_that_is_a_file_is_a_message(run_cli, tmp_path):
    from export_fixtures import build_dataset

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=3)
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    code, out, err = run_cli("export", ds, "--format", "coco", "--out", blocker / "sub")
    assert code == 1, err
    assert err.startswith("error: ") and str(blocker) in err
    _no_traceback(out, err)


def test_corrupt_checkpoint_on_resume_is_a_message(run_cli, tmp_path):
    import numpy as np
    import yaml
    from pose_toy import make_toy_images, write_dlc_project

    images, pts = make_toy_images(6, np.random.default_rng(0), size=(64, 48))
    proj = write_dlc_project(tmp_path / "proj", images, pts)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"input_size": [64, 48], "steps": 2, "batch_size": 2, "device": "cpu",
                                   "threads": 1, "val_fraction": 0.0}))
    out = tmp_path / "model"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(b"PK\x03\x04 this is not a torch checkpoint")
    code, stdout, err = run_cli("pose", "train", proj, "--out", out, "--config", cfg, "--resume")
    assert code == 1
    assert "checkpoint.pt: cannot resume from this checkpoint" in err and "delete it" in err
    _no_traceback(stdout, err)


def test_labeled_images_missing_next_to_a_valid_csv(run_cli, tmp_path):
    import numpy as np
    from pose_toy import make_toy_images, write_dlc_project

    images, pts = make_toy_images(4, np.random.default_rng(0), size=(64, 48))
    proj = write_dlc_project(tmp_path / "proj", images, pts)
    (proj / "labeled-data" / "toy" / "img0002.png").unlink()
    from simgen.errors import SimgenError
    from simgen.export.labels import read_dlc

    with pytest.raises(SimgenError, match="1 of 4 labeled images are missing"):
        read_dlc(proj)


def test_unreadable_real_frame_is_skipped_with_a_warning(tmp_path, caplog):
    import numpy as np
    from PIL import Image

    from simgen.video import sample_frames

    for i in range(4):
        Image.fromarray(np.full((24, 32, 3), 40 * i, np.uint8)).save(tmp_path / f"f{i}.png")
    (tmp_path / "f1.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    frames = sample_frames(tmp_path, 4)
    assert len(frames.images) == 3 and list(frames.indices) == [0, 2, 3]
    assert "skipped 1 of 4 frame(s) that could not be read: f1.png" in caplog.text


@pytest.mark.blender
def test_garbage_model_file_to_asset_import(run_cli, tmp_path):
    model = tmp_path / "garbage.glb"
    model.write_bytes(b"glTF this is not a model" * 10)
    spec = tmp_path / "kp.yaml"
    spec.write_text("keypoints:\n  snout: {bone: head}\n")
    code, out, err = run_cli("asset", "import", model, "--keypoints", spec, "--out", tmp_path / "asset")
    assert code == 1, err
    assert f"{model}: Blender cannot read this .glb file" in err
    _no_traceback(out, err)
    assert not (tmp_path / "asset").exists()


def test_one_line_of_a_simgen_error_keeps_its_code():
    from simgen.errors import SceneError

    assert one_line(SceneError(["a.yaml:1: x: bad", "a.yaml:2: y: bad"])) == ("a.yaml:1: x: bad\na.yaml:2: y: bad", 2)
