"""The training loop: mixed sources, augmentation, checkpoints, resume, validation curve.

Writes into the model folder: ``model.pt`` (final weights, see ``model``),
``checkpoint.pt`` (weights + optimizer + step + RNG state, for ``resume``),
``history.json`` (train loss and validation error per evaluation), ``val_curve.png``
and ``config.yaml`` (the config it ran with). The final model is the last step's,
not the best validation step's, so the validation frames never choose the model.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import yaml
from torch.nn import functional as F

from simgen.dataset.writer import atomic_write
from simgen.errors import SimgenError
from simgen.pose.augment import augment
from simgen.pose.config import PoseConfig
from simgen.pose.data import PoseDataset, SourceSpec, infer_swap_pairs, load_labels, swap_permutation
from simgen.pose.heatmaps import encode
from simgen.pose.model import TrainedModel, build_net, load_model
from simgen.pose.predict import predict_letterboxed

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainResult:
    model_path: Path
    steps: int
    first_loss: float
    last_loss: float
    val_error: float | None  # mean px error on the held-out frames (original pixels)
    seconds: float


def pick_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SimgenError("device 'cuda' asked for but torch sees no CUDA GPU")
        return torch.device("cuda")
    return torch.device("cpu")


def loss_fn(logits, offsets, heat, off_t, mask, cfg: PoseConfig) -> torch.Tensor:
    """Weighted BCE on heatmaps (cells near a keypoint count more) + masked smooth-L1 offsets."""
    weight = 1.0 + cfg.pos_weight * heat
    l_heat = F.binary_cross_entropy_with_logits(logits, heat, weight=weight)
    m = mask.unsqueeze(2)
    l_off = (F.smooth_l1_loss(offsets, off_t, reduction="none") * m).sum() / (m.sum() * 2 + 1)
    return l_heat + cfg.offset_weight * l_off


def _lr_factor(step: int, total: int) -> float:
    warm = max(1, total // 20)
    if step < warm:
        return (step + 1) / warm
    p = (step - warm) / max(1, total - warm)
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p))


def param_groups(net, cfg: PoseConfig) -> list[dict]:
    """One group at ``lr``; a pretrained encoder (``net.encoder``) in its own group at
    ``backbone_lr`` x ``lr``. The schedule scales both alike (warm-up, cosine)."""
    encoder = getattr(net, "encoder", None)
    if encoder is None:
        return [{"params": list(net.parameters())}]
    mine = {id(p) for p in encoder.parameters()}
    return [{"params": [p for p in net.parameters() if id(p) not in mine]},
            {"params": list(encoder.parameters()), "lr": cfg.lr * cfg.backbone_lr}]


def make_optimizer(net, cfg: PoseConfig, steps: int):
    """(AdamW over ``param_groups``, the warm-up + cosine schedule over ``steps``): the pose
    model's, and the finding stage's of a top-down model (passed to ``finder.train_finder``)."""
    opt = torch.optim.AdamW(param_groups(net, cfg), lr=cfg.lr, weight_decay=cfg.weight_decay)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, steps))


def val_error(net, ds: PoseDataset, device) -> float:
    """Mean Euclidean error (original pixels) over labeled keypoints of ``ds``."""
    net.eval()
    errs = []
    for start in range(0, len(ds), 16):
        idx = list(range(start, min(len(ds), start + 16)))
        imgs, xyv = ds.batch(idx)
        xy, _ = predict_letterboxed(net, imgs.to(device))
        for b, i in enumerate(idx):
            box = ds.samples[i].box
            gt = box.inverse(xyv[b, :, :2].numpy())
            pred = box.inverse(xy[b].cpu().numpy())
            ok = xyv[b, :, 2].numpy() > 0
            errs.extend(np.linalg.norm(pred[ok] - gt[ok], axis=1))
    net.train()
    return float(np.mean(errs)) if errs else float("nan")


def _check_init_backbone(path: Path, cfg: PoseConfig) -> None:
    """An init model must have the config's backbone (its weights fit no other network)."""
    theirs = load_model(path).backbone
    if theirs != cfg.model.backbone:
        raise SimgenError(f"{path}: its backbone is {theirs}, the config's is {cfg.model.backbone}; fine-tune "
                          f"with a config of backbone {theirs} (e.g. --config {theirs})")


def _init_from(net, path: Path, keypoints: list[str], log) -> None:
    """Copy a trained model's weights; head channels are matched by keypoint name."""
    src = load_model(path)
    own = net.state_dict()
    k_new, k_old = len(keypoints), len(src.keypoints)
    shared = [(keypoints.index(n), src.keypoints.index(n)) for n in keypoints if n in src.keypoints]
    if not shared:
        raise SimgenError(f"{path}: shares no keypoint with the training data ({', '.join(keypoints)})")
    for name, w in src.net.state_dict().items():
        if name not in own:
            continue
        if name.startswith("head.1."):  # 3K output channels: K heat, then K x (dx, dy)
            for new, old in shared:
                own[name][new] = w[old]
                own[name][k_new + 2 * new: k_new + 2 * new + 2] = w[k_old + 2 * old: k_old + 2 * old + 2]
        elif own[name].shape == w.shape:
            own[name] = w
        else:
            raise SimgenError(f"{path}: architecture differs from the config ({name}); use its model settings")
    net.load_state_dict(own)
    log(f"initialized from {path} ({len(shared)}/{k_new} keypoints matched)")


def _topdown(specs: list[SourceSpec], init: Path | None, margin: float | None) -> dict | None:
    """{"margin": m} when the run is top-down (a source of several animals, or a top-down
    init model, whose margin is kept unless ``margin`` is given), else None."""
    from simgen.pose.topdown import DEFAULT_MARGIN, is_multi_source

    init_td = load_model(Path(init)).topdown if init is not None else None
    if not init_td and not any(is_multi_source(s) for s in specs):
        if margin is not None:
            raise SimgenError("a top-down margin applies to sources of several animals; these hold one")
        return None
    if margin is None:
        margin = float((init_td or {}).get("margin", DEFAULT_MARGIN))
    if not 0 <= margin <= 2:
        raise SimgenError(f"top-down margin {margin}: use 0..2 (a share of the box's longer side)")
    return {"margin": float(margin)}


def plot_history(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    ax[0].plot(steps, [h["loss"] for h in history], "-o", ms=3)
    ax[0].set(xlabel="step", ylabel="train loss", yscale="log", title="training loss")
    val = [h.get("val_error") for h in history]
    if any(v is not None for v in val):
        ax[1].plot(steps, [np.nan if v is None else v for v in val], "-o", ms=3, color="C1")
    ax[1].set(xlabel="step", ylabel="mean error (px)", title="validation error")
    for a in ax:
        a.grid(alpha=0.3)
    fig.tight_layout()
    from simgen.dataset.writer import atomic_write

    with atomic_write(path, suffix=Path(path).suffix) as tmp:  # whole or none; errors name the file
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


@dataclass
class TrainingSet:
    """What a run trains on, after the sources are read and split."""

    specs: list[SourceSpec]  # the given sources, and an init model's own data mixed back in
    cfg: PoseConfig  # the config, with an init model's keypoint set when its data are mixed in
    names: list[str]  # keypoints, the network's channel order
    pairs: list[tuple[str, str]]  # left/right swap pairs
    swap: list[int]  # the permutation a horizontal flip applies to the keypoints
    train: PoseDataset
    val: PoseDataset | None
    topdown: dict | None  # {"margin": m} for a top-down run, else None
    instances: list | None = None  # top-down only: the animals per source (the finder trains on them)

    @property
    def unit(self) -> str:
        return "frames" if self.topdown is None else "animal crops (top-down)"


def training_set(specs: list[SourceSpec], cfg: PoseConfig, init: Path | None = None,
                 topdown_margin: float | None = None, log: Callable[[str], None] = print) -> TrainingSet:
    """The labels of ``specs`` (plus an init model's data when ``cfg.init_mix``), as training and
    validation sets of whole images, or of animal crops when the run is top-down."""
    if init is not None:
        _check_init_backbone(Path(init), cfg)
    if init is not None and cfg.init_mix > 0:  # on resume too, so the data stay the same
        from simgen.pose.finetune import mix_init_sources

        recorded = load_model(Path(init))
        if cfg.keypoints is None and recorded.keypoint_set is not None:
            cfg = cfg.model_copy(update={"keypoints": recorded.keypoint_set})
        specs = mix_init_sources(specs, recorded.sources, cfg.init_mix, log)
    topdown = _topdown(specs, init, topdown_margin)
    insts = None
    if topdown is None:
        labels = [load_labels(s, cfg.keypoints, cfg.camera, cfg.occluded) for s in specs]
    else:  # several animals per image: one crop per animal (pose/topdown.py)
        from simgen.pose.topdown import load_instances

        insts = [load_instances(s, cfg.keypoints, cfg.camera, cfg.occluded, boxes=cfg.finder.boxes) for s in specs]
        labels = [i.labels for i in insts]
    names = list(labels[0].keypoints)
    pairs = (cfg.swap_pairs if cfg.swap_pairs is not None
             else labels[0].swap_pairs or infer_swap_pairs(names))
    swap = swap_permutation(names, [tuple(p) for p in pairs])
    if topdown is None:
        full = PoseDataset(labels, names, cfg.input_size, [s.weight for s in specs])
    else:
        from simgen.pose.topdown import topdown_dataset

        full = topdown_dataset(insts, names, cfg.input_size, [s.weight for s in specs], topdown["margin"])
    train_ds, val_ds = full.split(cfg.val_fraction, np.random.default_rng(cfg.seed + 1))
    return TrainingSet(specs, cfg, names, [tuple(p) for p in pairs], swap, train_ds, val_ds, topdown, insts)


def _resume(path: Path, net, opt, sched, rng: np.random.Generator, device) -> tuple[int, list[dict]]:
    """Weights, optimizer, schedule and both random states from a checkpoint: (step, history)."""
    try:
        ck = torch.load(path, map_location=device, weights_only=False)
        net.load_state_dict(ck["weights"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        step, history = ck["step"], ck["history"]
    except Exception as exc:  # noqa: BLE001  (truncated zip, pickle garbage, other shapes)
        raise SimgenError(f"{path}: cannot resume from this checkpoint ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:200]}); delete it to start over, or pick a "
                          "new --out") from None
    rng.bit_generator.state = ck["rng"]
    torch.set_rng_state(ck["torch_rng"])
    return step, history


def fit_prior(ts: TrainingSet, stride: int) -> dict:
    """The body prior (pose/body_prior.py) of the training labels, in input pixels."""
    from simgen.pose import body_prior

    aug = ts.cfg.augment
    return body_prior.fit(np.stack([smp.xyv for smp in ts.train.samples]), aug.scale if aug.enabled else None, stride)


def refit_prior(tm: TrainedModel, log: Callable[[str], None] = print) -> TrainedModel:
    """A model saved before the body prior existed, given the prior of its training labels:
    its recorded sources read again as its training read them (the same crops and letterbox)."""
    from simgen.pose.finetune import source_from_record

    specs = [source_from_record(r) for r in tm.sources]
    if not specs:
        raise SimgenError("the model records no training sources to fit a body prior on")
    cfg = tm.config.model_copy(update={"init_mix": 0.0})  # the sources recorded already hold the mix
    margin = None if tm.topdown is None else tm.topdown.get("margin")
    tm.prior = fit_prior(training_set(specs, cfg, None, margin, log), tm.stride)
    return tm


def train_step(net, opt, sched, ts: TrainingSet, rng: np.random.Generator, device) -> float:
    """One optimizer step on a batch drawn from ``ts.train``, augmented; the batch's loss."""
    cfg = ts.cfg
    stride = cfg.model.stride
    hm_size = (cfg.input_size[1] // stride, cfg.input_size[0] // stride)
    imgs, xyv = ts.train.batch(ts.train.sample_indices(cfg.batch_size, rng))
    imgs = imgs.to(device).float() / 255.0
    imgs, xyv = augment(imgs, xyv.to(device), cfg.augment, ts.swap, rng)
    heat, off_t, mask = encode(xyv[..., :2], xyv[..., 2] > 0, hm_size, stride, cfg.sigma_px, cfg.offset_radius)
    logits, offsets = net(imgs)
    loss = loss_fn(logits, offsets, heat, off_t, mask, cfg)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()
    return float(loss.detach())


def _run_steps(net, opt, sched, ts: TrainingSet, rng: np.random.Generator, device, out: Path, step: int,
               history: list[dict], t0: float, progress: bool) -> int:
    """Steps from ``step`` to ``cfg.steps``; a history entry (appended to ``history``), the curve
    and history.json every ``val_every`` steps, a checkpoint every ``checkpoint_every``."""
    cfg = ts.cfg

    def checkpoint() -> None:
        with atomic_write(out / CHECKPOINT) as tmp:  # a killed run never leaves a torn checkpoint
            torch.save({"weights": net.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(), "step": step, "history": history,
                        "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, tmp)

    running: list[float] = []
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [TextColumn("train"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[info]}")]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("train", total=cfg.steps, completed=step, info="")
        while step < cfg.steps:
            running.append(train_step(net, opt, sched, ts, rng, device))
            step += 1
            if step % cfg.val_every == 0 or step == cfg.steps:
                entry = {"step": step, "loss": float(np.mean(running)), "lr": opt.param_groups[0]["lr"],
                         "seconds": round(time.time() - t0, 1)}
                running = []
                if ts.val is not None:
                    entry["val_error"] = val_error(net, ts.val, device)
                history.append(entry)
                info = f"loss {entry['loss']:.4f}" + (
                    f"  val {entry['val_error']:.2f}px" if "val_error" in entry else "")
                bar.update(task, info=info)
                plot_history(history, out / "val_curve.png")
                (out / "history.json").write_text(json.dumps(history, indent=1))
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                checkpoint()
            bar.update(task, completed=step)
    return step


def train(
    sources: list[str | SourceSpec],
    out: Path,
    cfg: PoseConfig,
    init: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
    topdown_margin: float | None = None,
) -> TrainResult:
    """Train on ``sources``. A source of several animals per image (a simgen dataset of
    several animals, a multi-animal DeepLabCut project), or an ``init`` model that is
    top-down, makes the run top-down: one crop per animal, its box grown by
    ``topdown_margin`` (default 0.25) x its longer side (pose/topdown.py)."""
    t0 = time.time()
    out = Path(out)
    specs = [s if isinstance(s, SourceSpec) else SourceSpec.parse(s) for s in sources]
    if not specs:
        raise SimgenError("give at least one DATA source")
    if cfg.steps < 1:  # a config built in code can bypass load_config's check
        raise SimgenError(f"steps must be >= 1 (got {cfg.steps}); an untrained model is not a result")
    if (out / CHECKPOINT).exists() and not resume:
        raise SimgenError(f"{out}: already holds a training run; pass --resume or pick a new --out")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)

    ts = training_set(specs, cfg, init, topdown_margin, log)
    cfg = ts.cfg
    log(f"{len(ts.train)} training {ts.unit}, {0 if ts.val is None else len(ts.val)} validation {ts.unit}, "
        f"{len(ts.names)} keypoints, device {device}")

    resuming, initializing = resume and (out / CHECKPOINT).exists(), init is not None and not resume
    # ImageNet weights (a pretrained backbone) only when nothing else supplies the weights
    net = build_net(len(ts.names), cfg.model, pretrained=not (resuming or initializing),
                    frozen_bn=cfg.freeze_backbone_bn)
    if initializing:
        _init_from(net, Path(init), ts.names, log)
    net.to(device).train()
    opt, sched = make_optimizer(net, cfg, cfg.steps)
    step, history = 0, []
    if resuming:
        step, history = _resume(out / CHECKPOINT, net, opt, sched, rng, device)
        log(f"resumed at step {step}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    from simgen.pose.finetune import source_record

    tm = TrainedModel(net, ts.names, ts.pairs, cfg.input_size, cfg, cfg.keypoints,
                      [source_record(s) for s in ts.specs], topdown=ts.topdown, prior=fit_prior(ts, net.stride))
    step = _run_steps(net, opt, sched, ts, rng, device, out, step, history, t0, progress)
    if ts.topdown is not None:  # the finding stage of a top-down model (pose/finder.py), saved in model.pt
        from simgen.pose.finder import train_finder

        tm.topdown["finder"] = train_finder(ts.instances, cfg, device, make_optimizer, log,
                                            [s.weight for s in ts.specs], progress, init=init).state()
    path = tm.save(out)
    last = history[-1] if history else {"loss": float("nan")}
    first = history[0]["loss"] if history else float("nan")
    return TrainResult(path, step, float(first), float(last["loss"]), last.get("val_error"), time.time() - t0)
