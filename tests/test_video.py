"""simgen.video: a video file or a folder of frames, as RGB with frame indices, and its one
policy for unreadable frames (skip, one warning, an error only when nothing was read)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from simgen.errors import SimgenError
from simgen.video import (
    DEFAULT_FOLDER_FPS,
    even_indices,
    frame_files,
    iter_frames,
    probe,
    read_frames,
    sample_frames,
)

W, H, N = 64, 48, 30
RED = np.array([220, 30, 30], np.uint8)  # pure colours: a swapped channel order is unmistakable


def _frame(i: int) -> np.ndarray:
    """RGB: a red image whose green channel counts the frame, so a frame names its index."""
    f = np.empty((H, W, 3), np.uint8)
    f[:] = RED
    f[..., 1] = 8 * (i % 30)
    return f


def _index_of(img: np.ndarray) -> int:
    return int(round(float(np.median(img[..., 1])) / 8))


@pytest.fixture(scope="module", params=[("clip.avi", "MJPG"), ("clip.mp4", "mp4v")], ids=["avi", "mp4"])
def video(tmp_path_factory, request):
    """MJPG: every frame a keyframe; mp4v: predicted frames between keyframes, so a seek decodes forward."""
    import cv2

    name, codec = request.param
    path = tmp_path_factory.mktemp("video") / name
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 25.0, (W, H))
    wr.set(cv2.VIDEOWRITER_PROP_QUALITY, 100)
    for i in range(N):
        wr.write(cv2.cvtColor(_frame(i), cv2.COLOR_RGB2BGR))
    wr.release()
    return path


def _folder(path, n=N, name="f{i}.png"):
    path.mkdir()
    for i in range(n):
        Image.fromarray(_frame(i)).save(path / name.format(i=i))
    return path


def test_even_indices_spread_and_held_out_offsets_are_disjoint():
    train = even_indices(2330, 100)
    held = even_indices(2330, 100, offset=0.5)
    assert len(train) == len(held) == 100 and train[0] == 0 and train[-1] > 2200
    assert not set(train) & set(held)
    assert list(even_indices(5, 10)) == [0, 1, 2, 3, 4]
    assert list(even_indices(10, 5)) == [0, 2, 4, 6, 8] and list(even_indices(10, 5, 0.5)) == [1, 3, 5, 7, 9]
    assert len(even_indices(0, 5)) == 0 and len(even_indices(5, 0)) == 0


def test_probe_a_video_and_a_folder(video, tmp_path):
    info = probe(video)
    assert (info.frames, info.width, info.height, info.is_folder) == (N, W, H, False)
    assert info.fps == pytest.approx(25.0)
    folder = probe(_folder(tmp_path / "frames", 12))
    assert (folder.frames, folder.width, folder.height, folder.is_folder) == (12, W, H, True)
    assert folder.fps == DEFAULT_FOLDER_FPS and probe(tmp_path / "frames", fps=50).fps == 50


@pytest.fixture(params=["seek", "read through"])
def mode(request, monkeypatch):
    """Both ways of reading chosen frames of a video, whatever their spacing."""
    import simgen.video

    monkeypatch.setattr(simgen.video, "DENSE_STEP", 1 if request.param == "seek" else 10**9)
    return request.param


def test_video_frames_are_rgb_with_their_indices(video, mode):
    for want in ([1, 15, 29], list(range(8, 14)), [0, 13, 14, 27]):
        got = read_frames(video, want)
        assert list(got.indices) == want and got.skipped == []
        for i, img in zip(got.indices, got.images):
            assert img.shape == (H, W, 3) and img.dtype == np.uint8
            r, g, b = (float(np.median(img[..., c])) for c in range(3))
            assert r > 180 and b < 70  # red stays red (BGR would read blue); tolerance: MJPG loss
            assert _index_of(img) == i  # the frame asked for, not a neighbour
    assert read_frames(video, [5, 5, 2]).indices.tolist() == [2, 5]  # duplicates dropped, ascending


def test_a_folder_reads_in_natural_order_as_rgb(tmp_path):
    folder = _folder(tmp_path / "frames", 12, name="frame{i}.png")  # frame10 sorts after frame9
    assert [p.name for p in frame_files(folder)][8:11] == ["frame8.png", "frame9.png", "frame10.png"]
    got = sample_frames(folder, 4)
    assert got.indices.tolist() == [0, 3, 6, 9] and got.names == ["frame0.png", "frame3.png", "frame6.png",
                                                                   "frame9.png"]
    assert all(np.array_equal(img, _frame(i)) for i, img in zip(got.indices, got.images))  # lossless: exact
    grey = tmp_path / "grey"
    grey.mkdir()
    Image.fromarray(np.full((H, W), 77, np.uint8)).save(grey / "a.png")
    assert sample_frames(grey, 1).images[0].shape == (H, W, 3)  # one channel -> RGB


def test_held_out_samples_share_no_frame(video):
    train, held = sample_frames(video, 10), sample_frames(video, 10, offset=0.5)
    assert len(train.indices) == len(held.indices) == 10
    assert not set(train.indices.tolist()) & set(held.indices.tolist())
    assert [_index_of(im) for im in held.images] == held.indices.tolist()


def test_iter_frames_streams_every_frame_in_order(video, tmp_path):
    got = list(iter_frames(video))
    assert [i for i, _ in got] == list(range(N))
    assert all(_index_of(img) == i and img[..., 0].mean() > 180 for i, img in got)
    assert [i for i, _ in iter_frames(video, limit=5)] == [0, 1, 2, 3, 4]
    folder = _folder(tmp_path / "frames", 6)
    assert [i for i, _ in iter_frames(folder)] == list(range(6))


def test_unreadable_images_are_skipped_with_one_warning(tmp_path, caplog):
    folder = _folder(tmp_path / "frames", 8)
    (folder / "f2.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")
    (folder / "f5.png").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="simgen"):
        got = read_frames(folder, range(8))
    assert got.indices.tolist() == [0, 1, 3, 4, 6, 7] and got.skipped == [2, 5]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "skipped 2 of 8 frame(s) that could not be read" in warnings[0]
    assert "f2.png" in warnings[0] and "f5.png" in warnings[0] and str(folder) in warnings[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="simgen"):
        streamed = [i for i, _ in iter_frames(folder)]
    assert streamed == [0, 1, 3, 4, 6, 7] and len(caplog.records) == 1


def test_frames_past_the_end_of_a_video_are_skipped(video, mode, caplog):
    import dataclasses

    info = dataclasses.replace(probe(video), frames=N + 5)  # a container that claims 5 frames too many
    with caplog.at_level(logging.WARNING, logger="simgen"):
        got = read_frames(info, [N - 2, N - 1, N, N + 3])
        streamed = [i for i, _ in iter_frames(info)]
    assert got.indices.tolist() == [N - 2, N - 1] and got.skipped == [N, N + 3]
    assert streamed == list(range(N))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "skipped 2 of 4" in messages[0] and "skipped 5 of 35" in messages[1]


def test_nothing_readable_is_one_error_naming_the_path(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        (folder / f"f{i}.png").write_bytes(b"not a png")
    with pytest.raises(SimgenError, match=f"{folder}: none of its 3 images could be read"):
        probe(folder)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(SimgenError, match="notes.mp4: cannot open video"):
        sample_frames(text, 5)
    with pytest.raises(SimgenError, match="no such video file or image folder"):
        sample_frames(tmp_path / "nope.mp4", 5)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SimgenError, match="no images"):
        probe(tmp_path / "empty")
    with pytest.raises(SimgenError, match="one image, not a video"):
        probe(folder / "f0.png")
    with pytest.raises(SimgenError, match="ask for at least 1"):
        sample_frames(tmp_path / "empty", 0)


def test_a_frame_of_another_size_is_an_error_naming_it(tmp_path):
    folder = _folder(tmp_path / "frames", 4)
    Image.fromarray(_frame(2)[:20, :30]).save(folder / "f2.png")
    with pytest.raises(SimgenError, match=r"f2.png: 30x20, but the folder's frames are 64x48"):
        read_frames(folder, [1, 2])
    assert read_frames(folder, [0, 1, 3]).indices.tolist() == [0, 1, 3]  # frames not read are not checked


def test_a_video_cut_off_early_streams_what_is_there_and_warns_once(tmp_path, caplog):
    import cv2

    whole = tmp_path / "whole.avi"
    wr = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (W, H))
    for i in range(N):
        wr.write(cv2.cvtColor(_frame(i), cv2.COLOR_RGB2BGR))
    wr.release()
    cut = tmp_path / "cut.avi"
    data = whole.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])  # a copy that stopped part way (the index at the end is gone)
    with caplog.at_level(logging.WARNING, logger="simgen"):
        got = [i for i, _ in iter_frames(cut)]
    k = len(got)
    assert 0 < k < N and got == list(range(k))
    assert [r.getMessage().split(": ", 1)[1] for r in caplog.records] == [
        f"skipped {N - k} of {N} frame(s) that could not be read: frames {k}..{N - 1} (the video ends before these)"]


def test_nothing_else_opens_a_video():
    from pathlib import Path

    import simgen

    root = Path(simgen.__file__).parent
    users = sorted(str(f.relative_to(root)) for f in root.rglob("*.py") if "VideoCapture(" in f.read_text())
    assert users == ["video.py"], f"read video through simgen.video, not cv2.VideoCapture: {users}"
