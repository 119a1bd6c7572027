"""Rank correlation of the label-free estimate with the true per-frame error, per model.

python benchmarks/gap_estimate_validation.py --labeled ../shared/data/openfield/dev MODEL [MODEL ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--labeled", required=True)
    a = ap.parse_args()

    from simgen.gap.estimate import estimate, validate
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    for m in a.models:
        t = time.time()
        model = load_model(m)
        ev = evaluate(model, a.labeled)
        est = estimate(model, [ev.labels.load_image(i) for i in range(len(ev.labels))])
        v = validate(est, ev.frame_errors())
        print(m, json.dumps(dataclasses.asdict(v)), f"{time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
