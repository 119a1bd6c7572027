"""Fine-tuning that does not forget: mix the init model's training data back in.

A model trained on synthetic renders and then fine-tuned on a few real labels alone
forgets what those few frames do not show (headings, places, postures): on real
frames the head and tail swap for headings the real frames lack. So every model
records the sources it trained on (``TrainedModel.sources``), and a run with
``--init`` draws ``PoseConfig.init_mix`` of its batches (default one half) from the
init model's sources and the rest from its own. Sources that are also given anew, or
whose files are gone, are skipped (with a log line); ``init_mix: 0`` turns it off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from simgen.pose.data import SourceSpec


def source_record(spec: SourceSpec) -> dict:
    """JSON-able record of a training source (absolute path)."""
    frames = spec.frames
    if isinstance(frames, slice):
        frames = {"start": frames.start, "stop": frames.stop}
    elif frames is not None:
        frames = [int(i) for i in frames]
    return {"path": str(Path(spec.path).resolve()), "weight": float(spec.weight), "frames": frames}


def source_from_record(rec: dict) -> SourceSpec:
    frames = rec.get("frames")
    if isinstance(frames, dict):
        frames = slice(frames.get("start"), frames.get("stop"))
    elif frames is not None:
        frames = tuple(int(i) for i in frames)
    return SourceSpec(Path(rec["path"]), float(rec.get("weight", 1.0)), frames)


def mix_init_sources(specs: list[SourceSpec], recorded: list[dict], share: float,
                     log: Callable[[str], None] = print) -> list[SourceSpec]:
    """``specs`` plus the recorded sources, weighted so the recorded ones get ``share``
    of the batches (split among them by their recorded weights)."""
    if share <= 0 or not recorded:
        return list(specs)
    given = {str(Path(s.path).resolve()) for s in specs}
    kept = []
    for rec in recorded:
        spec = source_from_record(rec)
        if str(spec.path) in given:
            log(f"init data {spec.path}: also given as a source, not mixed in twice")
        elif not spec.path.exists():
            log(f"init data {spec.path}: gone, not mixed in")
        else:
            kept.append(spec)
    if not kept:
        return list(specs)
    own = sum(s.weight for s in specs)
    old = sum(s.weight for s in kept)
    scale = own * share / (1 - share) / old
    mixed = [SourceSpec(s.path, s.weight * scale, s.frames) for s in kept]
    log(f"mixing in the init model's training data ({share:.0%} of batches): "
        + ", ".join(str(s.path) for s in mixed))
    return list(specs) + mixed
