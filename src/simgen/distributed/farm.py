"""``simgen farm``: submit a render as N shards, watch it, resubmit what is missing.

A ledger ``OUT/.farm/ledger.json`` records the render (scene, frames, preset,
overrides), the executor and resources, and every job each shard ran as. Status is
computed from the dataset itself (which frames are complete) and the jobs' states, so it
is right even after jobs vanished from the scheduler. Resubmitting re-runs a shard's
render, which skips its complete frames; a shard whose last job ran out of memory gets
twice the memory once, and is reported instead of retried if that fails too.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from simgen.dataset import Dataset
from simgen.dataset.shards import shard_frames
from simgen.dataset.writer import atomic_write_bytes
from simgen.distributed.executors import LIVE, RenderShard, Resources, job_state, submit
from simgen.errors import SimgenError

# What slurmstepd (cgroup or jobacct_gather OverMemoryKill) and the kernel write when a
# job is killed for memory; Slurm may report such a job as FAILED rather than OUT_OF_MEMORY.
_OOM_MARKERS = ("exceeded memory limit", "exceeded job memory limit", "oom-kill", "out of memory",
                "out_of_memory", "memoryerror")


def farm_dir(out: Path) -> Path:
    return Path(out) / ".farm"


def _ledger_path(out: Path) -> Path:
    return farm_dir(out) / "ledger.json"


def load_ledger(out: Path) -> dict:
    path = _ledger_path(out)
    if not path.is_file():
        raise SimgenError(f"{out}: no farm ledger ({path}); was this directory made by `simgen farm submit`?")
    return json.loads(path.read_text())


def _save(out: Path, ledger: dict) -> None:
    atomic_write_bytes(_ledger_path(out), (json.dumps(ledger, indent=1) + "\n").encode())


def submit_render(scene: Path, out: Path, *, jobs: int, executor: str = "local", frames: int | None = None,
                  start: int = 0, preset: str | None = None, overrides: list[str] | None = None,
                  resources: Resources | None = None) -> dict:
    """Validate the scene, write dataset.json, submit one job per shard; returns the ledger."""
    from simgen.render.run import plan

    if jobs < 1:
        raise SimgenError("--jobs must be >= 1")
    out = Path(out).resolve()
    overrides = list(overrides or [])
    # validates the scene and writes dataset.json once, before any shard starts
    p = plan(Path(scene), out, frames=frames, start=start, preset=preset, overrides=overrides, shard=(0, 1))
    n = p.meta.frames if frames is None else frames
    res = resources or Resources()
    task = RenderShard(str(Path(scene).resolve()), str(out), n, start, preset, overrides)
    shards = [(i, jobs) for i in range(jobs)]
    ids = submit(executor, farm_dir(out) / "jobs", task, shards, res)
    now = time.time()
    ledger = {
        "scene": str(Path(scene).resolve()), "out": str(out), "frames": n, "start": start, "preset": preset,
        "overrides": overrides, "jobs": jobs, "executor": executor, "resources": asdict(res),
        "shards": {str(i): [{"job_id": jid, "mem_gb": res.mem_gb, "submitted": now}] for i, jid in enumerate(ids)},
    }
    _save(out, ledger)
    return ledger


@dataclass
class ShardStatus:
    shard: int
    expected: int
    done: int
    job_id: str
    state: str
    attempts: int

    @property
    def missing(self) -> int:
        return self.expected - self.done

    @property
    def failed(self) -> bool:
        """Frames missing and no job left that could still render them."""
        return self.missing > 0 and self.state not in LIVE


def status(out: Path) -> list[ShardStatus]:
    ledger = load_ledger(out)
    ds = Dataset(out)
    done = set(ds.annotated_frames())
    folder = farm_dir(out) / "jobs"
    rows = []
    for key, attempts in sorted(ledger["shards"].items(), key=lambda kv: int(kv[0])):
        i = int(key)
        frames = shard_frames(ledger["start"], ledger["frames"], (i, ledger["jobs"]))
        last = attempts[-1]
        state = job_state(ledger["executor"], folder, last["job_id"])
        if state not in LIVE and state != "COMPLETED" and _oom_logged(folder, last["job_id"]):
            state = "OUT_OF_MEMORY"
        n_done = sum(1 for f in frames if f in done and ds.is_complete(f))
        rows.append(ShardStatus(i, len(frames), n_done, last["job_id"], state, len(attempts)))
    return rows


def _oom_logged(folder: Path, job_id: str) -> bool:
    log = folder / f"{job_id}_0_log.err"
    try:
        text = log.read_text(errors="replace")[-20000:].lower()
    except OSError:
        return False
    return any(m in text for m in _OOM_MARKERS)


def resubmit(out: Path, *, max_oom_retries: int = 1) -> tuple[list[int], list[str]]:
    """Requeue shards with missing frames and no live job; returns (shards, notes)."""
    out = Path(out).resolve()
    ledger = load_ledger(out)
    rows = status(out)
    notes: list[str] = []
    todo: dict[float, list[int]] = {}
    for row in rows:
        if not row.failed:
            continue
        attempts = ledger["shards"][str(row.shard)]
        mem = attempts[-1]["mem_gb"]
        if row.state == "OUT_OF_MEMORY":
            ooms = sum(1 for a in attempts if a.get("state") == "OUT_OF_MEMORY") + 1
            attempts[-1]["state"] = "OUT_OF_MEMORY"
            if ooms > max_oom_retries:
                notes.append(f"shard {row.shard}: out of memory again with {mem:g} GB; not resubmitted "
                             "(raise --mem and run `simgen farm resubmit` after fixing)")
                continue
            mem *= 2
            notes.append(f"shard {row.shard}: out of memory; resubmitting with {mem:g} GB")
        else:
            attempts[-1]["state"] = row.state
        todo.setdefault(mem, []).append(row.shard)
    res_base = Resources(**ledger["resources"])
    task = RenderShard(ledger["scene"], ledger["out"], ledger["frames"], ledger["start"], ledger["preset"],
                       ledger["overrides"])
    resubmitted: list[int] = []
    for mem, shards in todo.items():
        res = Resources(**{**asdict(res_base), "mem_gb": mem})
        ids = submit(ledger["executor"], farm_dir(out) / "jobs", task, [(s, ledger["jobs"]) for s in shards], res)
        for s, jid in zip(shards, ids):
            ledger["shards"][str(s)].append({"job_id": jid, "mem_gb": mem, "submitted": time.time()})
        resubmitted += shards
    _save(out, ledger)
    return sorted(resubmitted), notes


def wait(out: Path, poll_s: float = 2.0, timeout_s: float | None = None, on_poll=None) -> list[ShardStatus]:
    """Block until no shard has a live job; returns the final status."""
    t0 = time.time()
    while True:
        rows = status(out)
        if on_poll:
            on_poll(rows)
        if not any(r.state in LIVE for r in rows):
            return rows
        if timeout_s is not None and time.time() - t0 > timeout_s:
            raise SimgenError(f"{out}: jobs still running after {timeout_s:.0f} s")
        time.sleep(poll_s)
