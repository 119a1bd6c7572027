"""``predict_video`` reads through simgen.video: a folder of frames as well as a video, a
corrupt image skipped with a warning, the rows indexed by frame number."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from PIL import Image

W, H = 64, 48


def _model():
    from simgen.pose.model import TrainedModel, build_net

    cfg = {"model": {"widths": [8, 8, 8, 8], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4}}
    return TrainedModel(net=build_net(2, cfg["model"]), keypoints=["snout", "tailbase"], swap_pairs=[],
                        input_size=(W, H), config=cfg)


def _frame(i: int) -> np.ndarray:
    f = np.full((H, W, 3), 180, np.uint8)
    f[10:20, 5 + 4 * i:15 + 4 * i] = 30
    return f


def test_predict_a_folder_skips_a_corrupt_frame_and_keeps_frame_numbers(tmp_path, caplog):
    from simgen.pose.predict import predict_video

    folder = tmp_path / "session1"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(_frame(i)).save(folder / f"img{i}.png")
    (folder / "img2.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")
    with caplog.at_level(logging.WARNING, logger="simgen"):
        files = predict_video(_model(), folder, tmp_path / "out", batch_size=4)
    assert files["csv"].name == "session1simgenPose.csv"
    df = pd.read_csv(files["csv"], header=[0, 1, 2], index_col=0)
    assert df.index.tolist() == [0, 1, 3, 4, 5]
    assert np.isfinite(df.to_numpy()).all()
    assert sum("skipped 1 of 6 frame(s)" in r.getMessage() and "img2.png" in r.getMessage()
               for r in caplog.records) == 1


def test_predict_a_video_gives_one_row_per_frame(tmp_path):
    import cv2

    from simgen.pose.predict import predict_video

    path = tmp_path / "clip.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 20.0, (W, H))
    for i in range(7):
        wr.write(cv2.cvtColor(_frame(i), cv2.COLOR_RGB2BGR))
    wr.release()
    files = predict_video(_model(), path, tmp_path / "out", max_frames=5, labeled_video=True)
    df = pd.read_hdf(files["h5"], "df_with_missing")
    assert df.index.tolist() == [0, 1, 2, 3, 4] and df.shape[1] == 2 * 3
    cap = cv2.VideoCapture(str(files["video"]))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5 and abs(cap.get(cv2.CAP_PROP_FPS) - 20.0) < 0.01
    cap.release()
