"""Seconds per pose training step of each backbone: forward, loss, backward, AdamW.

    python benchmarks/pose_step_time.py [--configs default efficientnet_lite0] [--steps 5] [--threads 1]

Random images at each config's input size and batch (12 keypoints), so no data is needed;
reports per config the median CPU time and wall time per step after 2 warm-up steps. CPU
time with one torch thread is the number least disturbed by other jobs on the machine.
"""

from __future__ import annotations

import argparse
import time

import torch

from simgen.pose.config import load_config
from simgen.pose.heatmaps import encode
from simgen.pose.model import build_net
from simgen.pose.train import loss_fn, param_groups, pick_device


def step_times(name: str, steps: int, keypoints: int = 12) -> dict:
    cfg = load_config(name)
    device = pick_device(cfg.device)
    torch.manual_seed(0)
    net = build_net(keypoints, cfg.model, pretrained=True, frozen_bn=cfg.freeze_backbone_bn).to(device).train()
    opt = torch.optim.AdamW(param_groups(net, cfg), lr=cfg.lr, weight_decay=cfg.weight_decay)
    (w, h), b, s = cfg.input_size, cfg.batch_size, cfg.model.stride
    x = torch.rand(b, 3, h, w, device=device)
    xy = torch.rand(b, keypoints, 2, device=device) * torch.tensor([w, h], device=device)
    heat, off, mask = encode(xy, torch.ones(b, keypoints, dtype=torch.bool, device=device), (h // s, w // s), s,
                             cfg.sigma_px, cfg.offset_radius)
    wall, cpu = [], []
    for _ in range(steps + 2):
        t, c = time.perf_counter(), time.process_time()
        logits, offsets = net(x)
        loss = loss_fn(logits, offsets, heat, off, mask, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    med = lambda v: sorted(v[2:])[len(v[2:]) // 2]  # noqa: E731
    return {"config": name, "device": str(device), "params_m": sum(p.numel() for p in net.parameters()) / 1e6,
            "input": f"{w}x{h}", "batch": b, "cpu_s": med(cpu), "wall_s": med(wall)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["default", "efficientnet_lite0"])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: all cores)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print("| config | device | parameters | input, batch | CPU s/step | wall s/step |")
    print("| --- | --- | ---: | --- | ---: | ---: |")
    for name in args.configs:
        r = step_times(name, args.steps)
        print(f"| {r['config']} | {r['device']} | {r['params_m']:.2f} M | {r['input']}, {r['batch']} | "
              f"{r['cpu_s']:.2f} | {r['wall_s']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
