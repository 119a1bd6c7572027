"""Training data for the pose trainer: label sources, letterboxing, mixing.

A source spec on the command line is ``PATH[,weight=W][,frames=A:B]``: PATH is a
simgen dataset directory, a DeepLabCut project / ``labeled-data/<set>`` folder /
``CollectedData_*`` file, or a SLEAP ``.slp`` file; ``frames`` keeps rows A..B-1 (a
Python slice of the labeled frames in their file order); ``weight`` is the share of
training batches drawn from this source (default 1; shares are normalized).

Images are letterboxed into the fixed input size: scaled by one factor (aspect kept)
and padded at the right and bottom. With pixel centers at integer coordinates a
keypoint maps exactly as ``x' = (x + 0.5) * sx - 0.5`` (and the same for y).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from simgen.errors import SimgenError
from simgen.export.labels import PoseLabels, from_dataset, read_dlc, read_sleap


@dataclass(frozen=True)
class SourceSpec:
    path: Path
    weight: float = 1.0
    frames: slice | tuple[int, ...] | None = None  # a slice of rows, or row indices (API only)

    @classmethod
    def parse(cls, spec: str | Path) -> "SourceSpec":
        text = str(spec)
        parts = text.split(",")
        path, weight, frames = Path(parts[0]), 1.0, None
        for opt in parts[1:]:
            key, _, value = opt.partition("=")
            try:
                if key == "weight":
                    weight = float(value)
                    if weight <= 0:
                        raise ValueError
                elif key == "frames":
                    a, _, b = value.partition(":")
                    frames = slice(int(a) if a else None, int(b) if b else None)
                else:
                    raise SimgenError(f"{text}: unknown source option {key!r} (use weight=W or frames=A:B)")
            except ValueError:
                raise SimgenError(f"{text}: bad value for {key}: {value!r}") from None
        return cls(path, weight, frames)


def _is_sleap(p: Path) -> bool:
    return p.suffix == ".slp" or p.name.endswith(".pkg.slp")


def read_source(p: Path, simgen_reader):
    """The labels at ``p``: a simgen dataset (read by ``simgen_reader(p)``), a SLEAP file or a
    DeepLabCut project / labeled-data folder / CollectedData file."""
    from simgen.dataset.layout import Layout

    if Layout(p).meta.is_file():
        return simgen_reader(p)
    if _is_sleap(p):
        return read_sleap(p)
    if p.exists():
        return read_dlc(p)
    raise SimgenError(f"{p}: no such dataset, DeepLabCut project or SLEAP file")


def load_labels(spec: SourceSpec, keypoints: str | None = None, camera: str | None = None,
                occluded: str = "keep") -> PoseLabels:
    """Read one source; ``keypoints`` (a keypoint set) maps simgen datasets' names."""
    p = spec.path
    labels = read_source(p, lambda q: from_dataset(q, camera=camera, keypoint_set=keypoints, occluded=occluded))
    if labels.tracks is not None and not _is_sleap(p):  # read_dlc reads these for export round trips (issue 16)
        raise SimgenError(f"{p}: a multi-animal DeepLabCut project ({', '.join(dict.fromkeys(labels.tracks))}); "
                          "pose training takes one animal per image here; `simgen pose train` on it "
                          "trains a top-down model (docs/pose.md, 'Several animals')")
    return subset(labels, spec.frames) if spec.frames is not None else labels


def subset(labels: PoseLabels, rows) -> PoseLabels:
    """Rows (a slice or index list) of ``labels``."""
    idx = np.arange(len(labels))[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=int)
    if len(idx) == 0:
        raise SimgenError(f"{labels.source}: no labeled frames selected")
    pick = lambda a: None if a is None else np.asarray(a)[idx]  # noqa: E731
    return PoseLabels(
        images=[labels.images[i] for i in idx],
        xyv=labels.xyv[idx],
        keypoints=list(labels.keypoints),
        skeleton=list(labels.skeleton),
        swap_pairs=list(labels.swap_pairs),
        sizes=pick(labels.sizes),
        bboxes=pick(labels.bboxes),
        frames=None if labels.frames is None else [labels.frames[i] for i in idx],
        camera=labels.camera,
        source=labels.source,
    )


def select_keypoints(labels: PoseLabels, names: list[str]) -> np.ndarray:
    """(N, K, 3) xyv of ``names`` in that order; a clear error naming what is missing."""
    missing = [n for n in names if n not in labels.keypoints]
    if missing:
        raise SimgenError(
            f"{labels.source}: keypoints {', '.join(missing)} missing (it has {', '.join(labels.keypoints)})"
        )
    return labels.xyv[:, [labels.keypoints.index(n) for n in names]]


def infer_swap_pairs(names: list[str]) -> list[tuple[str, str]]:
    """Pairs whose names differ only by left <-> right (``leftear``/``rightear``, ``left_eye``/...)."""
    pairs = []
    for n in names:
        low = n.lower()
        if "left" in low:
            i = low.index("left")
            other = n[:i] + ("Right" if n[i] == "L" else "right") + n[i + 4:]
            match = [m for m in names if m.lower() == other.lower()]
            if match:
                pairs.append((n, match[0]))
    return pairs


def swap_permutation(names: list[str], pairs: list[tuple[str, str]]) -> list[int]:
    """Index permutation that exchanges each pair (applied after a horizontal flip)."""
    perm = list(range(len(names)))
    for a, b in pairs:
        if a in names and b in names:
            i, j = names.index(a), names.index(b)
            perm[i], perm[j] = j, i
    return perm


@dataclass(frozen=True)
class Letterbox:
    """Scale factors and padding that took an image of ``size`` (w, h) into the input."""

    sx: float
    sy: float
    size: tuple[int, int]

    def forward(self, xy: np.ndarray) -> np.ndarray:
        out = np.array(xy, dtype=float)
        out[..., 0] = (out[..., 0] + 0.5) * self.sx - 0.5
        out[..., 1] = (out[..., 1] + 0.5) * self.sy - 0.5
        return out

    def inverse(self, xy: np.ndarray) -> np.ndarray:
        out = np.array(xy, dtype=float)
        out[..., 0] = (out[..., 0] + 0.5) / self.sx - 0.5
        out[..., 1] = (out[..., 1] + 0.5) / self.sy - 0.5
        return out


def letterbox(image: np.ndarray, input_size: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """RGB uint8 (H, W, 3) -> (in_h, in_w, 3) uint8 with the image at the top-left."""
    h, w = image.shape[:2]
    in_w, in_h = input_size
    s = min(in_w / w, in_h / h)
    nw, nh = max(1, min(in_w, round(w * s))), max(1, min(in_h, round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(image), (nw, nh), interpolation=interp)
    out = np.zeros((in_h, in_w, 3), dtype=np.uint8)
    out[:nh, :nw] = resized
    return out, Letterbox(nw / w, nh / h, (w, h))


@dataclass
class Sample:
    image: np.ndarray  # (in_h, in_w, 3) uint8
    xyv: np.ndarray  # (K, 3) in input pixels
    box: Letterbox
    name: str


class PoseDataset(torch.utils.data.Dataset):
    """Letterboxed images and keypoints of one or more label sources, cached in memory.

    ``weights`` (one per source) set how often ``sample_indices`` draws each source.
    Items are ``(image uint8 tensor (3, H, W), xyv float tensor (K, 3))``.
    """

    def __init__(self, sources: list[PoseLabels], keypoints: list[str], input_size: tuple[int, int],
                 weights: list[float] | None = None):
        self.keypoints, self.input_size = list(keypoints), tuple(input_size)
        weights = weights or [1.0] * len(sources)
        self.samples: list[Sample] = []
        probs = []
        for labels, wgt in zip(sources, weights):
            xyv = select_keypoints(labels, self.keypoints)
            for i in range(len(labels)):
                try:
                    img = labels.load_image(i)
                except OSError as exc:
                    raise SimgenError(f"{labels.image_name(i)}: cannot read image ({exc})") from None
                lb_img, box = letterbox(img, self.input_size)
                kp = xyv[i].copy()
                kp[:, :2] = box.forward(kp[:, :2])
                self.samples.append(Sample(lb_img, kp, box, labels.image_name(i)))
                probs.append(wgt / len(labels))
        if not self.samples:
            raise SimgenError("no labeled frames to train on")
        self.probs = np.asarray(probs) / np.sum(probs)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.samples[i]
        return torch.from_numpy(s.image).permute(2, 0, 1).contiguous(), torch.from_numpy(s.xyv).float()

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        items = [self[i] for i in indices]
        return torch.stack([a for a, _ in items]), torch.stack([b for _, b in items])

    def sample_indices(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(len(self.samples), size=n, p=self.probs)

    def split(self, fraction: float, rng: np.random.Generator) -> tuple["PoseDataset", "PoseDataset | None"]:
        """(train, val): ``fraction`` of the frames (at least one) held out; None if fraction is 0."""
        n = len(self.samples)
        n_val = 0 if fraction <= 0 or n < 2 else max(1, round(n * fraction))
        if n_val == 0:
            return self, None
        perm = rng.permutation(n)
        return self._take(perm[n_val:]), self._take(perm[:n_val])

    def _take(self, idx) -> "PoseDataset":
        out = object.__new__(PoseDataset)
        out.keypoints, out.input_size = self.keypoints, self.input_size
        out.samples = [self.samples[i] for i in idx]
        p = self.probs[idx]
        out.probs = p / p.sum()
        return out
