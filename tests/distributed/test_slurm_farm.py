"""A real single-node Slurm cluster: submit 4 shards, cancel one midway, resubmit, compare.

Run with ``pytest -m slurm`` as root (``.ci/run`` does); the fixture starts munged,
slurmctld and slurmd with ``.ci/slurm-up.sh`` and stops what it started.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from test_shards import TINY_SCENE, assert_same_dataset

pytestmark = [pytest.mark.slurm, pytest.mark.blender]
REPO = Path(__file__).resolve().parents[2]


def _running(name: str) -> bool:
    return subprocess.run(["pgrep", "-x", name], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("starting Slurm daemons needs root")
    started = not all(_running(d) for d in ("munged", "slurmctld", "slurmd"))
    subprocess.run(["bash", str(REPO / ".ci" / "slurm-up.sh")], check=True, timeout=600)
    yield
    if started:
        subprocess.run(["bash", str(REPO / ".ci" / "slurm-down.sh")], check=False, timeout=60)


def _job_of(out: Path, shard: int) -> str:
    return json.loads((out / ".farm" / "ledger.json").read_text())["shards"][str(shard)][-1]["job_id"]


def test_slurm_submit_cancel_resubmit_equals_single_process(slurm_cluster, tmp_path, run_cli):
    from simgen.distributed import farm
    from simgen.distributed.executors import slurm_state
    from simgen.render.run import render

    scene = tmp_path / "s.yaml"
    scene.write_text(TINY_SCENE.replace("frames: 4", "frames: 40"))
    out = tmp_path / "farm"
    code, text, err = run_cli("farm", "submit", scene, "--out", out, "--jobs", "4", "--executor", "slurm",
                              "--mem", "1", "--cpus", "1", "--time", "20")
    assert code == 0, text + err
    victim = _job_of(out, 3)
    first = out / "annotations" / "000000.json"  # shard 0's first frame
    t0 = time.time()
    while not first.exists() and time.time() - t0 < 120:
        time.sleep(0.2)  # midway: the array job has started writing frames
    assert slurm_state(victim) in {"PENDING", "RUNNING"}  # shard 3 (10 frames) is not done yet
    subprocess.run(["scancel", victim], check=True)
    rows = farm.wait(out, poll_s=1, timeout_s=300)
    by_shard = {r.shard: r for r in rows}
    assert by_shard[3].failed and by_shard[3].missing > 0
    assert all(by_shard[s].missing == 0 for s in (0, 1, 2))
    code, text, _ = run_cli("farm", "status", out)
    assert code == 1 and "needing `simgen farm resubmit`: [3]" in text

    code, text, err = run_cli("farm", "resubmit", out, "--wait")
    assert code == 0, text + err
    assert "resubmitted shards: [3]" in text and "40/40 frames complete" in text
    assert _job_of(out, 3) != victim

    render(scene, tmp_path / "single", progress=False)
    assert_same_dataset(out, tmp_path / "single")
    code, text, _ = run_cli("verify", out)
    assert code == 0 and "40/40 frames complete, 0 missing, 0 corrupt" in text


def test_slurm_out_of_memory_retried_once_with_more_memory(slurm_cluster, tmp_path, run_cli):
    from simgen.distributed import farm

    scene = tmp_path / "s.yaml"
    scene.write_text(TINY_SCENE.replace("frames: 4", "frames: 40"))
    out = tmp_path / "farm"
    # 60 MB cannot hold Blender (~400 MB): Slurm kills the job for memory
    code, text, err = run_cli("farm", "submit", scene, "--out", out, "--jobs", "1", "--executor", "slurm",
                              "--mem", "0.06", "--cpus", "1", "--time", "10")
    assert code == 0, text + err
    rows = farm.wait(out, poll_s=1, timeout_s=180)
    assert rows[0].state == "OUT_OF_MEMORY" and rows[0].failed
    code, text, _ = run_cli("farm", "resubmit", out, "--wait")
    assert "shard 0: out of memory; resubmitting with 0.12 GB" in text
    ledger = json.loads((out / ".farm" / "ledger.json").read_text())
    assert [a["mem_gb"] for a in ledger["shards"]["0"]] == [0.06, 0.12]
    code, text, _ = run_cli("farm", "resubmit", out)
    assert "shard 0: out of memory again with 0.12 GB; not resubmitted" in text
    assert "nothing to resubmit" in text
