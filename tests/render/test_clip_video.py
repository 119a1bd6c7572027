"""Clip videos of sequence datasets (render/video.py) without Blender: written, then
counted through simgen.video (a clip that does not open counts -1 and is rewritten)."""

import numpy as np
from PIL import Image

from simgen.render.video import frame_count, write_video


def test_a_written_clip_counts_its_frames_and_a_broken_one_minus_one(tmp_path):
    pngs = []
    for i in range(5):
        pngs.append(tmp_path / f"{i:06d}.png")
        Image.fromarray(np.full((31, 41, 3), 40 * i, np.uint8)).save(pngs[-1])  # odd size: padded to even
    out = write_video(pngs, tmp_path / "videos" / "top" / "clip_0000.mp4", 10.0)
    assert frame_count(out) == 5
    broken = tmp_path / "clip_0001.mp4"
    broken.write_bytes(b"not an mp4")
    assert frame_count(broken) == -1 and frame_count(tmp_path / "missing.mp4") == -1
