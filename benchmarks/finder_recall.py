"""How many animals the finding stage of a top-down model finds in held-out images.

    python benchmarks/finder_recall.py DATA,frames=0:40 HELD_OUT,frames=40:48 \
        [--steps 1000] [--input 160 128] [--config default] [--threads 1]

Trains only the finding stage (pose/finder.py) on the first source, as `simgen pose
train` would after the pose model, and runs it on the held-out images of the second. A
labeled animal counts as found when a predicted box's centre lies within half the labeled
box's longer side of the labeled box's centre (one box per animal, Hungarian on centre
distance); "inside" counts the labeled animals whose keypoint centre (mean of the labeled
keypoints) lies inside some predicted box. Boxes are the sources' own (a simgen dataset's
mask boxes, else the labeled keypoints' box), so compare within one kind of source.
"""

from __future__ import annotations

import argparse
import time

import torch

from simgen.pose.config import load_config
from simgen.pose.data import SourceSpec
from simgen.pose.finder import find, found_boxes, train_finder
from simgen.pose.topdown import load_instances
from simgen.pose.train import make_optimizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--input", type=int, nargs=2, default=None, metavar=("W", "H"))
    ap.add_argument("--config", default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    finder_cfg = {"steps": args.steps, **({"input_size": list(args.input)} if args.input else {})}
    cfg = cfg.model_copy(update={"finder": cfg.finder.model_copy(update=finder_cfg), "device": "cpu"})
    train, test = load_instances(SourceSpec.parse(args.train)), load_instances(SourceSpec.parse(args.test))
    t0, c0 = time.perf_counter(), time.process_time()
    finder = train_finder([train], cfg, torch.device("cpu"), make_optimizer, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    groups = test.groups()
    got = find(finder, [test.labels.load_image(int(g[0])) for g in groups])
    n = hit = inside = predicted = 0
    for (boxes, _), g in zip(got, groups):
        hit += int(found_boxes(boxes, test.labels.bboxes[g]).sum())
        n, predicted = n + len(g), predicted + len(boxes)
        for xyv in test.labels.xyv[g]:
            c = xyv[xyv[:, 2] > 0, :2].mean(axis=0)
            inside += bool(((boxes[:, 0] <= c[0]) & (c[0] <= boxes[:, 2]) & (boxes[:, 1] <= c[1])
                            & (c[1] <= boxes[:, 3])).any())
    print(f"finding stage: {args.steps} steps at {finder.input_size[0]}x{finder.input_size[1]}, "
          f"{wall:.0f} s wall, {cpu:.0f} s CPU")
    print(f"held-out: {len(groups)} images, {n} labeled animals: found {hit} ({hit / n:.1%}), "
          f"{predicted} predicted (precision {hit / max(predicted, 1):.1%}), keypoint centre inside a box "
          f"{inside} ({inside / n:.1%})")


if __name__ == "__main__":
    main()
