"""Shard specs: ``i/N``, or ``auto`` read from the array-job environment.

``auto`` reads the task index and count from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT
(offset by SLURM_ARRAY_TASK_MIN); PBS_ARRAY_INDEX, SGE_TASK_ID and LSB_JOBINDEX carry no
count, so they need ``auto/N``. SGE and LSF number tasks from 1, PBS and Slurm from 0
(by convention ``--array=0-(N-1)``; Slurm's minimum is subtracted either way).
Shard i of N renders frames ``start + i, start + i + N, ...``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from simgen.errors import SimgenError, UsageError

# variable -> first index used by that scheduler's array jobs
_INDEX_VARS = (("PBS_ARRAY_INDEX", 0), ("SGE_TASK_ID", 1), ("LSB_JOBINDEX", 1))


def parse_shard(spec: str | None, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``None`` -> (0, 1); ``"i/N"``; ``"auto"`` or ``"auto/N"`` from the environment."""
    if not spec:
        return 0, 1
    env = os.environ if env is None else env
    head, _, tail = spec.partition("/")
    if head == "auto":
        count = _int(tail, spec, UsageError) if tail else None
        i, n = _from_env(env, count, spec)
    else:
        if not tail:
            raise UsageError(f"--shard {spec!r}: expected i/N (e.g. 0/4), auto or auto/N")
        i, n = _int(head, spec, UsageError), _int(tail, spec, UsageError)
    if n < 1 or not 0 <= i < n:  # i/N as given, or the array job's task index and count
        raise (UsageError if head != "auto" else SimgenError)(f"--shard {spec!r}: need 0 <= i < N (got i={i}, N={n})")
    return i, n


def _int(text: str, spec: str, error: type[SimgenError] = SimgenError) -> int:
    try:
        return int(text)
    except ValueError:
        raise error(f"--shard {spec!r}: {text!r} is not a whole number") from None


def _from_env(env: Mapping[str, str], count: int | None, spec: str) -> tuple[int, int]:
    if "SLURM_ARRAY_TASK_ID" in env:
        task = _int(env["SLURM_ARRAY_TASK_ID"], spec) - _int(env.get("SLURM_ARRAY_TASK_MIN", "0"), spec)
        n = count if count is not None else _int(env.get("SLURM_ARRAY_TASK_COUNT", ""), spec)
        return task, n
    for var, first in _INDEX_VARS:
        if var in env:
            if count is None:
                raise SimgenError(f"--shard {spec!r}: {var} gives no task count; use --shard auto/N")
            return _int(env[var], spec) - first, count
    raise SimgenError(f"--shard {spec!r}: not inside an array job (no SLURM_ARRAY_TASK_ID, PBS_ARRAY_INDEX, "
                      "SGE_TASK_ID or LSB_JOBINDEX); use --shard i/N")


def shard_frames(start: int, frames: int, shard: tuple[int, int]) -> list[int]:
    i, n = shard
    return list(range(start, start + frames))[i::n]
