"""``simgen sweep --executor slurm`` on a real single-node cluster: one job per arm x seed,
results collected afterwards. Run with ``pytest -m slurm`` as root (``.ci/run`` does)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest
from sweep_toy import make_real, write_sweep

pytestmark = [pytest.mark.slurm, pytest.mark.blender]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def slurm_cluster():
    """Start munged/slurmctld/slurmd with .ci/slurm-up.sh; stop them after if this fixture started them."""
    if os.geteuid() != 0:
        pytest.skip("starting Slurm daemons needs root")
    running = lambda d: subprocess.run(["pgrep", "-x", d], capture_output=True).returncode == 0  # noqa: E731
    started = not all(running(d) for d in ("munged", "slurmctld", "slurmd"))
    subprocess.run(["bash", str(REPO / ".ci" / "slurm-up.sh")], check=True, timeout=600)
    yield
    if started:
        subprocess.run(["bash", str(REPO / ".ci" / "slurm-down.sh")], check=False, timeout=60)


def test_sweep_on_slurm(slurm_cluster, tmp_path, run_cli):
    real = make_real(tmp_path)
    path = write_sweep(tmp_path, real)
    out = tmp_path / "out"
    code, text, err = run_cli("sweep", path, "--out", out, "--executor", "slurm", "--cpus", "1", "--mem", "2",
                              "--time", "20", "-q")
    assert code == 0, text + err
    jobs = json.loads((out / ".slurm" / "jobs.json").read_text())
    assert sorted((j["arm"], j["seed"]) for j in jobs) == [("baseline", 0), ("styled", 0)]
    # the jobs computed every stage; this process only collected them
    assert "stages computed: render 0, style 0, train 0, evaluate 0" in text
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["arm"] for r in rows] == ["baseline", "styled"] and all(r["rmse"] for r in rows)
    assert len(list((out / "stages" / "render").glob("*/done.json"))) == 1  # shared, rendered once
