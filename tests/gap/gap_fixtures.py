"""Tiny generated inputs for the gap tests: a blob 'mouse' with a red snout and a blue tail
base, as a simgen dataset and as a 'real' video; and a colour-finding oracle pose model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

W, H = 128, 96
COLORS = {"snout": (230, 30, 30), "tailbase": (30, 30, 230)}


def mouse_frame(cx: float, cy: float, ang: float, floor: int = 190) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGB frame, mask (1 animal, 2 arena) and keypoints (2, 2) of a grey ellipse with coloured ends."""
    import cv2

    img = np.full((H, W, 3), floor, np.uint8)
    mask = np.full((H, W), 2, np.uint8)
    d = np.array([np.cos(ang), np.sin(ang)])
    center = (int(round(cx)), int(round(cy)))
    cv2.ellipse(img, center, (16, 8), float(np.degrees(ang)), 0, 360, (60, 60, 60), -1)
    cv2.ellipse(mask, center, (16, 8), float(np.degrees(ang)), 0, 360, 1, -1)
    kp = np.array([[cx, cy] + 12 * d, [cx, cy] - 12 * d])
    for (x, y), color in zip(kp, COLORS.values()):
        cv2.circle(img, (int(round(x)), int(round(y))), 3, color, -1)
    return img, mask, kp


def write_dataset(root: Path, n: int = 12, seed: int = 0) -> Path:
    from simgen.dataset import AnimalLabels, CameraInfo, CameraLabel, DatasetMeta, DatasetWriter, FrameAnnotation

    rng = np.random.default_rng(seed)
    meta = DatasetMeta(scene={"simgen": 1}, scene_sha256="0" * 64, seed=seed, frames=n,
                       keypoints=list(COLORS), cameras=[CameraInfo("top", W, H)],
                       mask_ids={"background": 0, "animal": 1, "arena": 2})
    w = DatasetWriter(root, meta)
    for f in range(n):
        cx, cy = rng.uniform(40, W - 40), rng.uniform(30, H - 30)  # the scene keeps it away from the border
        rgb, mask, kp = mouse_frame(cx, cy, rng.uniform(0, 2 * np.pi))
        w.write_image("top", f, rgb)
        w.write_mask("top", f, mask)
        label = CameraLabel(K=np.eye(3), R=np.eye(3), t=np.zeros(3), width=W, height=H,
                            keypoints=np.concatenate([kp, np.full((2, 1), 2.0)], axis=1),
                            bbox=np.array([cx - 18, cy - 18, cx + 18, cy + 18]))
        w.write_annotation(FrameAnnotation(f, {"frame": f}, [AnimalLabels(None, 0, np.zeros((2, 3)), {"top": label})]))
    return root


def real_frames(n: int = 40, seed: int = 1) -> list[np.ndarray]:
    """A mouse walking along the border of the view (where the dataset never puts it), darker floor."""
    out = []
    for i in range(n):
        t = i / n
        cx, cy = 20 + (W - 40) * t, 18.0
        rgb, _, _ = mouse_frame(cx, cy, 0.0, floor=150)
        out.append(rgb)
    return out


def write_video(path: Path, frames: list[np.ndarray]) -> Path:
    import cv2

    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (W, H))
    for f in frames:
        wr.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    wr.release()
    return path


class ColorNet(nn.Module):
    """An 'oracle' pose net: heat for keypoint k is how close a pixel's colour is to COLORS[k]."""

    stride = 4

    def __init__(self, colors=None):
        super().__init__()
        colors = list(COLORS.values()) if colors is None else colors
        self.num_keypoints = len(colors)
        self.register_buffer("colors", torch.tensor(colors, dtype=torch.float32) / 255.0)
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        d = ((x[:, None] - self.colors[None, :, :, None, None]) ** 2).sum(2)  # (B, K, H, W)
        score = torch.nn.functional.avg_pool2d(torch.exp(-d / 0.02), self.stride)
        b, k, h, w = score.shape
        return 30 * score - 6, torch.zeros(b, k, 2, h, w)


def oracle_model(keypoints=tuple(COLORS)):
    from simgen.pose.model import TrainedModel

    colors = [COLORS.get(k, (0, 255, 0)) for k in keypoints]
    return TrainedModel(net=ColorNet(colors).eval(), keypoints=list(keypoints), swap_pairs=[],
                        input_size=(W, H), config={})


def saved_untrained_model(folder: Path, keypoints=tuple(COLORS)) -> Path:
    """A real (untrained) simgen pose model file with ``keypoints``."""
    from simgen.pose.model import TrainedModel, build_net

    cfg = {"model": {"widths": [8, 8, 8, 8], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4}}
    m = TrainedModel(net=build_net(len(keypoints), cfg["model"]), keypoints=list(keypoints), swap_pairs=[],
                     input_size=(W, H), config=cfg)
    m.save(folder)
    return folder
