"""Sampling: scene distributions -> one FrameSpec per frame, pure numpy, no Blender.

``sample_frame(scene, i)`` derives each field's generator from (seed, i, field path),
so frames can be sampled in any order, by any shard, on any machine, with equal results.
"""

from simgen.sampling.frame import sample_frame
from simgen.sampling.spec import FrameSpec

__all__ = ["FrameSpec", "sample_frame"]
