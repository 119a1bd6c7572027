"""``run_sweep``: every arm x seed through the stage store, then results.csv and report.html.

Locally the arms run one after another in this process. With Slurm each arm x seed
is one job of an array job (submitit, as ``simgen farm`` does); the jobs share the
stage store on the shared file system, and its locks make arms that share a stage
wait for one another. This process waits for the jobs, then collects what they
wrote (never recomputing) and writes the results.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from simgen.choices import Executor
from simgen.distributed.executors import EXECUTORS
from simgen.errors import SimgenError
from simgen.sweep.runner import ArmRun, Log, run_arm, write_results
from simgen.sweep.spec import Arm, Sweep
from simgen.sweep.stages import StageStore

SWEEP_JSON = "sweep.json"


@dataclass
class SweepResult:
    runs: list[ArmRun]
    results: Path
    report: Path
    computed: Counter = field(default_factory=Counter)  # stage kind -> stages computed by this run
    reused: Counter = field(default_factory=Counter)

    @property
    def failed(self) -> list[ArmRun]:
        return [r for r in self.runs if r.error]


class ArmJob:
    """Picklable body of one Slurm job: one arm and seed, all its stages."""

    def __init__(self, sweep: Sweep, out: str):
        self.sweep, self.out = sweep, out

    def __call__(self, arm: Arm, seed: int) -> dict:
        cpus = os.environ.get("SLURM_CPUS_PER_TASK")
        r = run_arm(self.sweep, arm, seed, StageStore(Path(self.out)), progress=False,
                    threads=int(cpus) if cpus and cpus.isdigit() else None)
        return {"arm": arm.name, "seed": seed, "stages": {k: s.key for k, s in r.stages.items()}}

    def checkpoint(self, arm: Arm, seed: int):  # preempted or timed out: requeue (finished stages are kept)
        import submitit

        return submitit.helpers.DelayedSubmission(self, arm, seed)


def _check_out(out: Path, resume: bool) -> None:
    if (out / SWEEP_JSON).is_file() and not resume:
        raise SimgenError(f"{out}: already holds a sweep; pass --resume to reuse its finished stages "
                          "(only new or changed arms are computed), or pick a new --out")


def invocation(command: list[str] | None, sweep: Sweep) -> dict:
    """How this run was started: the command line, simgen's version, the reductions, the start time."""
    from simgen import __version__

    return {"command": command, "simgen_version": __version__, "reductions": sweep.reductions,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "t0": time.time()}


def _write_spec(sweep: Sweep, out: Path, run: dict | None = None) -> None:
    doc = {"format": "simgen-sweep/1", "sweep_file": str(sweep.path), "base_scene": str(sweep.scene),
           "labeled": sweep.labeled, "video": None if sweep.video is None else str(sweep.video),
           "camera": sweep.camera, "design": sweep.design, "seeds": sweep.seeds,
           "arms": [a.to_json() for a in sweep.arms],
           **({"gap": sweep.gap.model_dump(mode="json")} if sweep.gap is not None else {}),
           "invocation": {k: v for k, v in (run or {}).items() if k != "t0"}}
    from simgen.dataset.writer import atomic_write_json

    atomic_write_json(out / SWEEP_JSON, doc)


def run_sweep(sweep: Sweep, out: Path, *, executor: Executor = "local", resume: bool = False, workers: int = 1,
              progress: bool = True, log: Log = print, resources=None, poll_s: float = 5.0,
              command: list[str] | None = None) -> SweepResult:
    """``command``: the command line that started the run (recorded in sweep.json and the report)."""
    from simgen.sweep.report import write_report

    out = Path(out).resolve()
    _check_out(out, resume)
    out.mkdir(parents=True, exist_ok=True)
    run = invocation(command, sweep)
    _write_spec(sweep, out, run)
    store = StageStore(out)
    pairs = [(a, s) for a in sweep.arms for s in sweep.seeds]
    if executor == "slurm":
        _run_on_slurm(sweep, out, pairs, resources, log, poll_s)
    elif executor != "local":
        raise SimgenError(f"unknown executor {executor!r}; choices: {', '.join(EXECUTORS)}")
    runs: list[ArmRun] = []
    for arm, seed in pairs:
        try:
            r = run_arm(sweep, arm, seed, store, log=log, progress=progress, workers=workers,
                        reuse_only=executor == "slurm")
        except SimgenError as err:
            r = ArmRun(arm, seed, error=str(err).splitlines()[0])
            log(f"{arm.name} seed {seed}: FAILED: {err}")
        runs.append(r)
    res = SweepResult(runs, write_results(runs, out / "results.csv"), out / "report.html")
    for r in runs:
        for kind, st in r.stages.items():
            (res.reused if st.reused else res.computed)[kind] += 1
    run["seconds"] = round(time.time() - run["t0"], 1)
    _write_spec(sweep, out, run)
    write_report(sweep, runs, out, run)
    return res


def _run_on_slurm(sweep: Sweep, out: Path, pairs: list[tuple[Arm, int]], resources, log: Log,
                  poll_s: float) -> None:
    from simgen.distributed.executors import LIVE, Resources, make_executor, slurm_state

    res = resources or Resources()
    ex = make_executor("slurm", out / ".slurm", res, name="simgen-sweep")
    jobs = ex.map_array(ArmJob(sweep, str(out)), [a for a, _ in pairs], [s for _, s in pairs])
    ids = [str(j.job_id) for j in jobs]
    (out / ".slurm" / "jobs.json").write_text(json.dumps(
        [{"arm": a.name, "seed": s, "job_id": j} for (a, s), j in zip(pairs, ids)], indent=1) + "\n")
    log(f"submitted {len(ids)} Slurm job(s) (one per arm x seed): {', '.join(ids)}; logs in {out / '.slurm'}")
    last = None
    while True:
        states = Counter(slurm_state(j) for j in ids)
        if states != last:
            log("jobs: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
            last = states
        if not any(s in LIVE for s in states):
            return
        time.sleep(poll_s)
