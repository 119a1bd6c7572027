"""``train_style``: fit the classic method, then (for learned methods) train a generator.

Training is resumable: the learned methods write ``checkpoint.pt`` every
``checkpoint_every`` iterations and when stopped by ``max_minutes``; running the same
command again continues from it. The crops of iteration ``i`` come from
``np.random.default_rng([seed, i])``, so a resumed run draws the same crops as an
uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simgen.errors import SimgenError
from simgen.style.model import METHODS, LearnedConfig, profile_config, write_style_json


@dataclass
class TrainResult:
    model_dir: Path
    method: str
    iters_done: int
    iters: int
    seconds: float
    sheet: Path


def train_style(synthetic: Path | str, real: Path | str, out: Path | str, method: str = "classic",
                profile: str = "cpu", iters: int | None = None, seed: int = 0, n_real: int = 200,
                n_synthetic: int = 200, max_minutes: float | None = None, overrides: dict[str, Any] | None = None,
                progress: bool = True, camera: str | None = None) -> TrainResult:
    from simgen import __version__
    from simgen.dataset import DatasetMeta, Layout
    from simgen.style.classic import fit_classic
    from simgen.style.data import (
        animal_centers_from_masks,
        animal_centers_from_motion,
        is_mono,
        load_synthetic,
    )
    from simgen.video import sample_frames

    if method not in METHODS:
        raise SimgenError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    cfg = profile_config(profile, overrides)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    rng = np.random.default_rng(seed)

    syn = load_synthetic(synthetic, n_synthetic, camera)
    real_frames = sample_frames(real, n_real).images
    if len(real_frames) < 3:
        raise SimgenError(f"{real}: only {len(real_frames)} real frame(s); need at least 3")
    mono = is_mono(real_frames)
    classic = fit_classic(real_frames, syn.images, rng, mono=mono)
    meta = DatasetMeta.load(Layout(synthetic).meta)
    info: dict[str, Any] = {
        "method": method, "profile": profile, "channels": 1 if mono else 3,
        "config": cfg.model_dump(), "classic": classic.to_json(), "lowres": 1, "seed": seed,
        "provenance": {"synthetic": str(Path(synthetic).resolve()), "scene_sha256": meta.scene_sha256,
                       "camera": syn.camera, "synthetic_frames": len(syn.images), "real": str(Path(real).resolve()),
                       "real_frames": len(real_frames), "simgen": __version__},
    }
    raw_centers = animal_centers_from_masks(syn.masks, syn.animal_id)
    real_centers = animal_centers_from_motion(real_frames)
    iters_done = iters_total = 0
    if method == "classic":
        translate = lambda im, r: classic.apply(im, r)  # noqa: E731
    else:
        iters_total = int(iters if iters is not None else (2000 if profile == "cpu" else 200_000))
        g, iters_done = _train_learned(method, cfg, classic, syn, real_frames, raw_centers, real_centers,
                                       info["channels"], out, iters_total, seed, max_minutes, progress)
        import torch

        from simgen.style.model import run_generator

        info["provenance"]["torch"] = torch.__version__
        translate = lambda im, r: run_generator(g, classic.apply(im, r), info["channels"])  # noqa: E731
    info["iters"] = iters_total
    info["iters_done"] = iters_done
    info["train_seconds"] = round(time.monotonic() - t0, 1)
    write_style_json(out, info)

    from simgen.style.sheet import make_sheet

    pick = np.linspace(0, len(syn.images) - 1, min(4, len(syn.images))).round().astype(int)
    rpick = np.linspace(0, len(real_frames) - 1, len(pick)).round().astype(int)
    raw = [syn.images[i] for i in pick]
    sheet = make_sheet(raw, [translate(im, np.random.default_rng([seed, 1])) for im in raw],
                       [real_frames[i] for i in rpick], [raw_centers[i] for i in pick],
                       [real_centers[i] for i in rpick], out / "sheet.png")
    return TrainResult(out, method, iters_done, iters_total, time.monotonic() - t0, sheet)


def _band(mask: np.ndarray, animal_id: int, px: int) -> np.ndarray:
    from simgen.style.metrics import dilate, erode

    m = mask == animal_id
    return (dilate(m, px) & ~erode(m, px)).astype(np.float32)


def _train_learned(method: str, cfg: LearnedConfig, classic, syn, real_frames, raw_centers, real_centers,
                   channels: int, out: Path, iters: int, seed: int, max_minutes: float | None, progress: bool):
    import torch

    from simgen.style.data import crop_boxes
    from simgen.style.model import channels_of

    torch.manual_seed(seed)  # nothing should draw from it, but third-party code might
    gen = torch.Generator().manual_seed(seed)
    if method == "cyclegan":
        from simgen.style.cyclegan import CycleGAN

        model = CycleGAN(cfg, channels, gen)
    else:
        from simgen.style.fastcut import FastCUT

        model = FastCUT(cfg, channels, gen)

    # domain A: renders after the classic pipeline (the generator refines them); B: real
    prep = np.random.default_rng([seed, 0])
    a_imgs = [channels_of(classic.apply(im, prep), channels).astype(np.float32) for im in syn.images]
    bands = [_band(m, syn.animal_id, cfg.band_px) for m in syn.masks]
    b_imgs = [channels_of(f, channels).astype(np.float32) for f in real_frames]
    shape_a, shape_b = a_imgs[0].shape[:2], b_imgs[0].shape[:2]

    ckpt = out / "checkpoint.pt"
    start = 0
    if ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state.get("method") != method or state.get("config") != cfg.model_dump():
            raise SimgenError(f"{ckpt}: from another method or config; use a new --out or delete it")
        for name, mod in model.modules().items():
            mod.load_state_dict(state["modules"][name])
        for opt, s in zip(model.optimizers, state["optimizers"]):
            opt.load_state_dict(s)
        gen.set_state(state["generator_state"])
        start = int(state["iter"])

    def save(it: int) -> None:
        import io

        from simgen.dataset import atomic_write_bytes

        buf = io.BytesIO()
        torch.save({"method": method, "config": cfg.model_dump(), "iter": it,
                    "modules": {k: m.state_dict() for k, m in model.modules().items()},
                    "optimizers": [o.state_dict() for o in model.optimizers],
                    "generator_state": gen.get_state()}, buf)
        atomic_write_bytes(ckpt, buf.getvalue())
        buf = io.BytesIO()
        torch.save(model.G.state_dict(), buf)
        atomic_write_bytes(out / "generator.pt", buf.getvalue())

    def batch(it: int):
        r = np.random.default_rng([seed, it + 1])
        s = cfg.crop
        ba = crop_boxes(shape_a, raw_centers, s, cfg.batch, r, cfg.p_animal)
        bb = crop_boxes(shape_b, real_centers, s, cfg.batch, r, cfg.p_animal)
        a = np.stack([a_imgs[i][y:y + s, x:x + s] for i, x, y in ba])
        band = np.stack([bands[i][y:y + s, x:x + s] for i, x, y in ba])[:, None]
        b = np.stack([b_imgs[i][y:y + s, x:x + s] for i, x, y in bb])
        if r.random() < 0.5:  # horizontal flips: a mirrored mouse is still a mouse
            a, band = a[:, :, ::-1], band[..., ::-1]
        if r.random() < 0.5:
            b = b[:, :, ::-1]
        to_t = lambda x: torch.from_numpy(np.ascontiguousarray(x) / 127.5 - 1.0).float().permute(0, 3, 1, 2)  # noqa: E731
        return to_t(a), to_t(b), torch.from_numpy(np.ascontiguousarray(band))

    deadline = None if max_minutes is None else time.monotonic() + 60 * max_minutes
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    it = start
    with Progress(TextColumn(f"{method}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TextColumn("{task.fields[losses]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  disable=not progress) as bar:
        task = bar.add_task("train", total=iters, completed=start, losses="")
        for it in range(start, iters):
            # constant for the first half, then linear decay to 0 (CycleGAN's schedule)
            lr = cfg.lr * min(1.0, 2.0 * (iters - it) / max(iters, 1))
            for opt in model.optimizers:
                for group in opt.param_groups:
                    group["lr"] = lr
            losses = model.step(*batch(it))
            bar.update(task, advance=1, losses=" ".join(f"{k}={v:.3f}" for k, v in losses.items()))
            if (it + 1) % cfg.checkpoint_every == 0:
                save(it + 1)
            if deadline is not None and time.monotonic() > deadline:
                it += 1
                break
        else:
            it = iters
    save(it)
    model.G.eval()
    return model.G, it
