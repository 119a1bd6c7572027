"""The finding stage of a top-down model: where the animals are in a whole image.

CenterNet-style (Zhou et al. 2019, "Objects as Points"): the whole image is letterboxed
into the finder's input; per heatmap cell (stride ``s``) the network predicts how likely
an animal's box centre lies there, the centre's sub-cell offset, and the box's width and
height. It is the pose network itself (``model.build_net``: the config's backbone, with
its ImageNet weights and lower encoder learning rate if pretrained, and the heatmap/offset
head) with two channels: channel 0's heat is the centre heatmap and its
offset pair the centre's offset in cells (as a keypoint's, ``heatmaps.encode``);
channel 1's offset pair is ``log(box side / s) - log_size_ref`` (width, height), where
``log_size_ref`` is the training boxes' median log side in cells: the head starts near
zero, so a short training starts at the typical size instead of at one cell (a finding
stage that learned absolute log sizes in 200 steps gave boxes 0.67x too small, median, on
its own training renders; docs/benchmarks.md, home cage); channel 1's heat is not used.

Targets (``encode_boxes``): each labeled animal's box (x0, y0, x1, y1 at pixel edges, in
input pixels) gives a Gaussian of ``sigma_px`` at its centre; where animals' Gaussians
overlap the cell takes the larger, and its offset and size are those of the animal whose
centre is nearest. Decoding (``decode_boxes``): the cells that are the maximum of their
3 x 3 neighbourhood and at least ``threshold`` (peak non-maximum suppression), best
first; a box overlapping a better one by more than ``nms_iou`` (intersection over union)
is dropped; at most ``max_animals`` are kept (the best-scoring ones).

The boxes it learns are the boxes the pose model's crops were cut from at training
(``topdown.instances`` with the config's ``finder.boxes``: by default the box of an
animal's keypoints; "mask": a simgen dataset's mask box), so inference crops the way
training did. Its state lives inside the pose
model's ``model.pt`` (``topdown["finder"]``), trained by ``simgen pose train`` after the
pose model (``train_finder``).

Augmentation: horizontal and vertical flips (exact for axis-aligned boxes, unlike a
rotation by any angle) and the pose trainer's photometric changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from simgen.errors import SimgenError
from simgen.pose.heatmaps import encode, to_pixels

FINDER_FORMAT = "simgen-finder/1"
SIZE_WEIGHT = 0.5  # log-size smooth-L1 against the centre heatmap's BCE
OFFSET_WEIGHT = 0.5


@dataclass
class Finder:
    """A trained finding stage: the network plus how to use it."""

    net: torch.nn.Module
    input_size: tuple[int, int]  # width, height
    model_cfg: dict
    sigma_px: float
    threshold: float
    max_animals: int
    nms_iou: float
    log_size_ref: float = 0.0  # sizes are predicted about this log side (cells); 0 for older finders

    @property
    def stride(self) -> int:
        return self.net.stride

    def state(self) -> dict:
        return {"format": FINDER_FORMAT, "model": dict(self.model_cfg), "weights": self.net.state_dict(),
                "input_size": list(self.input_size), "sigma_px": self.sigma_px, "threshold": self.threshold,
                "max_animals": self.max_animals, "nms_iou": self.nms_iou, "log_size_ref": self.log_size_ref}

    @classmethod
    def from_state(cls, state: dict, device="cpu") -> "Finder":
        from simgen.pose.model import build_net

        if not isinstance(state, dict) or state.get("format") != FINDER_FORMAT:
            raise SimgenError("not a simgen finding stage (retrain the model with `simgen pose train`)")
        net = build_net(2, dict(state["model"]))
        net.load_state_dict(state["weights"])
        net.to(device).eval()
        return cls(net, tuple(state["input_size"]), dict(state["model"]), float(state["sigma_px"]),
                   float(state["threshold"]), int(state["max_animals"]), float(state["nms_iou"]),
                   float(state.get("log_size_ref", 0.0)))


def model_finder(model, device=None) -> Finder:
    """The finding stage saved in a top-down pose model."""
    state = (model.topdown or {}).get("finder")
    if state is None:
        raise SimgenError("this top-down model has no finding stage (trained before simgen had one): retrain it "
                          "with `simgen pose train`, or evaluate on the labels' boxes with --oracle-boxes")
    dev = device if device is not None else next(model.net.parameters()).device
    return Finder.from_state(state, dev)


# -- targets and decoding ------------------------------------------------------------------
def encode_boxes(boxes: list[np.ndarray], hm_size: tuple[int, int], stride: int, sigma_px: float,
                 radius_cells: float = 2.0, log_size_ref: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets of a batch: ``boxes[b]`` (A_b, 4) x0, y0, x1, y1 in input pixels (pixel edges).

    Returns heat (B, 1, h, w), targets (B, 2, 2, h, w) (centre offset in cells; log box
    width and height in cells, less ``log_size_ref``) and their mask (B, 2, h, w): the cells within
    ``radius_cells`` of a centre."""
    b = len(boxes)
    a = max([len(x) for x in boxes] + [1])
    xy = torch.full((b, a, 2), float("nan"))
    logsize = torch.zeros((b, a, 2))
    valid = torch.zeros((b, a), dtype=torch.bool)
    for i, bx in enumerate(boxes):
        bx = torch.as_tensor(np.asarray(bx, dtype=float).reshape(-1, 4), dtype=torch.float32)
        if len(bx):
            xy[i, :len(bx)] = (bx[:, :2] + bx[:, 2:]) / 2
            logsize[i, :len(bx)] = torch.log((bx[:, 2:] - bx[:, :2]).clamp_min(1.0) / stride) - log_size_ref
            valid[i, :len(bx)] = True
    heat, off, mask = encode(xy, valid, hm_size, stride, sigma_px, radius_cells)  # (B, A, ...)
    # per cell: the animal whose centre is nearest owns the offset and size targets
    near = torch.where(valid[..., None, None], heat, torch.full_like(heat, -1.0)).argmax(dim=1, keepdim=True)
    heat1 = heat.max(dim=1, keepdim=True).values
    off1 = off.gather(1, near[:, :, None].expand(-1, -1, 2, -1, -1))  # (B, 1, 2, h, w)
    mask1 = mask.gather(1, near)  # (B, 1, h, w)
    h, w = hm_size
    size1 = logsize[..., None, None].expand(-1, -1, -1, h, w).gather(1, near[:, :, None].expand(-1, -1, 2, -1, -1))
    return heat1, torch.cat([off1, size1], dim=1), mask1.expand(-1, 2, -1, -1).contiguous()


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) boxes -> (N, M) intersection over union."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area = lambda x: np.prod(np.clip(x[:, 2:] - x[:, :2], 0, None), axis=-1)  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def found_boxes(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(G,) which labeled boxes ``gt`` a predicted box matches (Hungarian assignment on centre
    distance) with its centre within half the labeled box's longer side of the labeled centre."""
    from scipy.optimize import linear_sum_assignment

    pred, gt = np.asarray(pred, float).reshape(-1, 4), np.asarray(gt, float).reshape(-1, 4)
    out = np.zeros(len(gt), bool)
    if len(pred) and len(gt):
        cp, cg = (pred[:, :2] + pred[:, 2:]) / 2, (gt[:, :2] + gt[:, 2:]) / 2
        d = np.linalg.norm(cp[:, None] - cg[None], axis=-1)
        for r, g in zip(*linear_sum_assignment(d)):
            out[g] = d[r, g] <= 0.5 * (gt[g, 2:] - gt[g, :2]).max()
    return out


def decode_boxes(heat: torch.Tensor, maps: torch.Tensor, stride: int, threshold: float, max_animals: int,
                 nms_iou: float = 0.7, log_size_ref: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """heat (B, 1, h, w) in [0, 1], maps (B, 2, 2, h, w) -> per image (boxes (n, 4) in input
    pixels, scores (n,)), best first, n <= ``max_animals``."""
    peak = heat == F.max_pool2d(heat, 3, stride=1, padding=1)
    out = []
    for i in range(heat.shape[0]):
        h = heat[i, 0]
        ys, xs = torch.nonzero(peak[i, 0] & (h >= threshold), as_tuple=True)
        scores = h[ys, xs]
        order = torch.argsort(scores, descending=True)
        ys, xs, scores = ys[order], xs[order], scores[order]
        uv = torch.stack([xs, ys], dim=-1).float() + maps[i, 0, :, ys, xs].T
        centre = to_pixels(uv, stride)
        size = torch.exp((maps[i, 1, :, ys, xs].T + log_size_ref).clamp(-10, 10)) * stride
        boxes = torch.cat([centre - size / 2, centre + size / 2], dim=-1).cpu().numpy().astype(float)
        scores = scores.cpu().numpy().astype(float)
        keep: list[int] = []
        for j in range(len(boxes)):
            if len(keep) >= max_animals:
                break
            if not keep or box_iou(boxes[j:j + 1], boxes[keep]).max() <= nms_iou:
                keep.append(j)
        out.append((boxes[keep].reshape(-1, 4), scores[keep]))
    return out


@torch.no_grad()
def find(finder: Finder, images, threshold: float | None = None, max_animals: int | None = None,
         batch_size: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """RGB uint8 (H, W, 3) images -> per image (boxes (n, 4) x0, y0, x1, y1 at pixel edges
    in its pixels, scores (n,)), best first."""
    from simgen.pose.data import letterbox

    thr = finder.threshold if threshold is None else float(threshold)
    most = finder.max_animals if max_animals is None else int(max_animals)
    net = finder.net.eval()
    dev = next(net.parameters()).device
    out: list[tuple[np.ndarray, np.ndarray]] = []
    batch, lbs = [], []

    def flush() -> None:
        if not batch:
            return
        t = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).to(dev).float() / 255.0
        logits, maps = net(t)
        for (boxes, scores), lb in zip(decode_boxes(torch.sigmoid(logits[:, :1]), maps, finder.stride, thr, most,
                                                    finder.nms_iou, finder.log_size_ref), lbs):
            out.append((lb.inverse(boxes.reshape(-1, 2, 2)).reshape(-1, 4), scores))
        batch.clear()
        lbs.clear()

    for img in images:
        lb_img, lb = letterbox(np.asarray(img), finder.input_size)
        batch.append(lb_img)
        lbs.append(lb)
        if len(batch) >= batch_size:
            flush()
    flush()
    return out


# -- training ------------------------------------------------------------------------------
def _init_state(init) -> dict | None:
    if init is None:
        return None
    from simgen.pose.model import load_model

    return (load_model(init).topdown or {}).get("finder")


def finder_loss(logits: torch.Tensor, maps: torch.Tensor, heat: torch.Tensor, targets: torch.Tensor,
                mask: torch.Tensor, pos_weight: float) -> torch.Tensor:
    """Weighted BCE on the centre heatmap (cells near a centre count ``1 + pos_weight *
    target``), plus masked smooth-L1 on the centre offsets and the log sizes."""
    l_heat = F.binary_cross_entropy_with_logits(logits[:, :1], heat, weight=1.0 + pos_weight * heat)
    m = mask.unsqueeze(2)
    err = F.smooth_l1_loss(maps, targets, reduction="none") * m  # (B, 2, 2, h, w)
    norm = m[:, :1].sum() * 2 + 1
    return l_heat + OFFSET_WEIGHT * err[:, 0].sum() / norm + SIZE_WEIGHT * err[:, 1].sum() / norm


@dataclass
class FinderData:
    """Letterboxed whole images and their animals' boxes (input pixels)."""

    images: list[np.ndarray]  # (in_h, in_w, 3) uint8 each
    boxes: list[np.ndarray]  # (A, 4) each
    probs: np.ndarray  # draw probability per image


def finder_data(sources, input_size: tuple[int, int], weights: list[float] | None = None) -> FinderData:
    """One item per image of the ``topdown.Instances`` ``sources``: the image letterboxed,
    its animals' boxes (the crops' boxes) mapped into the input."""
    from simgen.pose.data import letterbox

    weights = weights or [1.0] * len(sources)
    images, boxes, probs = [], [], []
    for inst, wgt in zip(sources, weights):
        groups = inst.groups()
        for idx in groups:
            labels = inst.labels
            try:
                img = labels.load_image(int(idx[0]))
            except OSError as exc:
                raise SimgenError(f"{labels.image_name(int(idx[0]))}: cannot read image ({exc})") from None
            lb_img, lb = letterbox(img, input_size)
            images.append(lb_img)
            boxes.append(lb.forward(np.asarray(labels.bboxes[idx], float).reshape(-1, 2, 2)).reshape(-1, 4))
            probs.append(wgt / len(groups))
    if not images:
        raise SimgenError("no images with labeled animals to train the finding stage on")
    return FinderData(images, boxes, np.asarray(probs) / np.sum(probs))


def flip_batch(images: torch.Tensor, boxes: list[np.ndarray], rng: np.random.Generator,
               ) -> tuple[torch.Tensor, list[np.ndarray]]:
    """Random horizontal and vertical flips of (B, 3, H, W) images and their boxes, exact:
    pixel ``i`` <-> ``W - 1 - i``, so a box's [x0, x1] becomes [W - 1 - x1, W - 1 - x0]."""
    _, _, h, w = images.shape
    out_imgs, out_boxes = [], []
    for img, bx in zip(images, boxes):
        bx = np.array(bx, dtype=float).reshape(-1, 4)
        if rng.random() < 0.5:
            img = img.flip(-1)
            bx[:, [0, 2]] = (w - 1) - bx[:, [2, 0]]
        if rng.random() < 0.5:
            img = img.flip(-2)
            bx[:, [1, 3]] = (h - 1) - bx[:, [3, 1]]
        out_imgs.append(img)
        out_boxes.append(bx)
    return torch.stack(out_imgs), out_boxes


def train_finder(sources, cfg, device, optimizer, log: Callable[[str], None] = print,
                 weights: list[float] | None = None, progress: bool = True, init=None) -> Finder:
    """Train the finding stage on ``sources`` (``topdown.Instances``) with the pose config
    ``cfg`` (its ``finder`` section, model, batch size, learning rate, photometric
    augmentation, seed). ``optimizer(net, cfg, steps) -> (optimizer, scheduler)``: the
    pose trainer's (``train.make_optimizer``; passed in, so this module does not import
    the trainer that calls it). ``init``: a top-down model (folder) whose finding stage,
    if it has one of the same network, gives the starting weights. Logs how many held-out
    images' animals it finds."""
    from simgen.pose.augment import photometric
    from simgen.pose.model import build_net

    fc = cfg.finder
    size = tuple(fc.input_size or cfg.input_size)
    steps = fc.steps or cfg.steps
    t0 = time.time()
    data = finder_data(sources, size, weights)
    most = fc.max_animals or max(len(b) for b in data.boxes)
    rng = np.random.default_rng(cfg.seed + 7)
    n = len(data.images)
    n_val = 0 if cfg.val_fraction <= 0 or n < 2 else max(1, round(n * cfg.val_fraction))
    perm = rng.permutation(n)
    val, train_idx = perm[:n_val], perm[n_val:]
    p = data.probs[train_idx] / data.probs[train_idx].sum()
    torch.manual_seed(cfg.seed + 7)
    model_cfg = cfg.model.model_dump()
    start = _init_state(init)
    same = start is not None and start["model"] == model_cfg
    # a pretrained backbone's ImageNet weights unless the init model's finder supplies weights
    net = build_net(2, model_cfg, pretrained=not same, frozen_bn=cfg.freeze_backbone_bn)
    if same:
        net.load_state_dict(start["weights"])
        log(f"finding stage: initialized from {init}")
    net.to(device).train()
    opt, sched = optimizer(net, cfg, steps)
    stride = net.stride
    hm = (size[1] // stride, size[0] // stride)
    sides = np.concatenate([b[:, 2:] - b[:, :2] for b in data.boxes if len(b)]).ravel()
    ref = float(np.median(np.log(np.maximum(sides, 1.0) / stride)))
    log(f"finding stage: {len(train_idx)} training images, {n_val} validation images, input {size[0]}x{size[1]}, "
        f"{steps} steps, at most {most} animals per image")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    running: list[float] = []
    with Progress(TextColumn("find"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.fields[info]}"), disable=not progress) as bar:
        task = bar.add_task("find", total=steps, info="")
        for step in range(steps):
            idx = rng.choice(train_idx, size=cfg.batch_size, p=p)
            imgs = torch.from_numpy(np.stack([data.images[i] for i in idx])).permute(0, 3, 1, 2).float() / 255.0
            imgs, boxes = flip_batch(imgs, [data.boxes[i] for i in idx], rng)
            imgs = imgs.to(device)
            if cfg.augment.enabled:
                imgs = photometric(imgs, cfg.augment, rng)
            heat, targets, mask = (t.to(device) for t in encode_boxes(boxes, hm, stride, fc.sigma_px,
                                                                      log_size_ref=ref))
            logits, maps = net(imgs)
            loss = finder_loss(logits, maps, heat, targets, mask, cfg.pos_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running.append(float(loss.detach()))
            if (step + 1) % cfg.val_every == 0 or step + 1 == steps:
                bar.update(task, info=f"loss {np.mean(running):.4f}")
                running = []
            bar.update(task, completed=step + 1)
    finder = Finder(net.eval(), size, model_cfg, fc.sigma_px, fc.threshold, most, fc.nms_iou, ref)
    if n_val:  # the held-out images are letterboxed already: find() maps them by scale 1
        got = find(finder, [data.images[i] for i in val])
        hits, n_pred, n_gt = 0, 0, 0
        for (pb, _), i in zip(got, val):
            gt = data.boxes[i]
            n_pred, n_gt = n_pred + len(pb), n_gt + len(gt)
            hits += int(found_boxes(pb, gt).sum())
        log(f"finding stage: {time.time() - t0:.0f} s; on the validation images it found {hits} of {n_gt} labeled "
            f"animals, {n_pred} predicted (found: a centre within half the labeled box's longer side)")
    return finder
