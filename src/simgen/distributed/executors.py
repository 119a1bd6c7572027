"""Where shards run: local processes or a Slurm array job, both through submitit.

The task a job runs is ``RenderShard``: ``simgen render`` of one shard, resumable, so a
retry or a requeue after preemption/timeout (submitit's checkpointing re-submits the
same call) renders only what is missing. Job states come from Slurm's own tools
(``squeue``, ``scontrol``), which work without an accounting database.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from simgen.choices import Executor, names
from simgen.errors import SimgenError

EXECUTORS: tuple[Executor, ...] = names(Executor)
LIVE = {"PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING", "SUSPENDED", "RESIZING", "READY"}


@dataclass
class Resources:
    partition: str | None = None
    time_min: int = 240
    mem_gb: float = 4.0
    cpus: int = 2
    gpus: int = 0
    extra: dict = field(default_factory=dict)


class RenderShard:
    """Picklable job body: render one shard of a scene into a dataset directory."""

    def __init__(self, scene: str, out: str, frames: int, start: int, preset: str | None, overrides: list[str]):
        self.scene, self.out = scene, out
        self.frames, self.start, self.preset, self.overrides = frames, start, preset, list(overrides)

    def __call__(self, shard: tuple[int, int]) -> dict:
        import os

        from simgen.render.run import plan, run

        p = plan(Path(self.scene), Path(self.out), frames=self.frames, start=self.start, preset=self.preset,
                 overrides=self.overrides, shard=tuple(shard))
        cpus = os.environ.get("SLURM_CPUS_PER_TASK")  # keep Blender inside the job's allocation
        res = run(p, progress=False, threads=int(cpus) if cpus and cpus.isdigit() else None)
        return {"shard": list(shard), "rendered": len(res.rendered), "skipped": len(p.skipped),
                "seconds": res.seconds}

    def checkpoint(self, shard):  # preempted or timed out: requeue the same call (it resumes)
        import submitit

        return submitit.helpers.DelayedSubmission(self, shard)


def make_executor(kind: str, folder: Path, res: Resources, name: str = "simgen"):
    import submitit

    if kind not in EXECUTORS:
        raise SimgenError(f"unknown executor {kind!r}; choices: {', '.join(EXECUTORS)}")
    if kind == "slurm":
        if not _have("sbatch"):
            raise SimgenError("--executor slurm: sbatch not found (is this a Slurm login node?)")
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
        params = dict(timeout_min=res.time_min, mem_gb=res.mem_gb, cpus_per_task=res.cpus, name=name,
                      slurm_signal_delay_s=60)
        if res.partition:
            params["slurm_partition"] = res.partition
        if res.gpus:
            params["gpus_per_node"] = res.gpus
        ex.update_parameters(**params, **res.extra)
    else:
        ex = submitit.AutoExecutor(folder=folder, cluster="local")
        ex.update_parameters(timeout_min=res.time_min, name=name)
    return ex


def submit(kind: str, folder: Path, task: RenderShard, shards: list[tuple[int, int]], res: Resources) -> list[str]:
    """Submit one job per shard (a Slurm array job); returns the job ids in shard order."""
    ex = make_executor(kind, folder, res)
    jobs = ex.map_array(task, shards)
    return [str(j.job_id) for j in jobs]


def _have(cmd: str) -> bool:
    from shutil import which

    return which(cmd) is not None


def slurm_state(job_id: str) -> str:
    """PENDING/RUNNING/COMPLETED/CANCELLED/FAILED/TIMEOUT/OUT_OF_MEMORY/..., or UNKNOWN."""
    out = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%T"], capture_output=True, text=True)
    state = out.stdout.strip().splitlines()
    if out.returncode == 0 and state:
        return state[0].strip()
    out = subprocess.run(["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True)
    for token in out.stdout.split():
        if token.startswith("JobState="):
            return token.split("=", 1)[1]
    return "UNKNOWN"


def local_state(folder: Path, job_id: str) -> str:
    """State of a local submitit job: RUNNING while its process lives, else by its result."""
    import os

    try:
        pid = int(job_id)
        os.kill(pid, 0)
        # a live pid is this job only if it runs submitit (pids get reused)
        alive = b"submitit" in Path(f"/proc/{pid}/cmdline").read_bytes() and not _is_zombie(pid)
    except (ValueError, OSError):
        alive = False
    if alive:
        return "RUNNING"
    result = folder / f"{job_id}_0_result.pkl"
    if result.exists():
        import pickle

        try:
            kind, _ = pickle.loads(result.read_bytes())
        except Exception:  # an unreadable result counts as a failure
            return "FAILED"
        return "COMPLETED" if kind == "success" else "FAILED"
    return "FAILED"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except (OSError, IndexError):
        return False


def job_state(kind: str, folder: Path, job_id: str) -> str:
    return slurm_state(job_id) if kind == "slurm" else local_state(folder, job_id)
