"""Shard specs from arguments and array-job environments; the local farm executor."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simgen.dataset.shards import parse_shard, shard_frames
from simgen.errors import SimgenError


@pytest.mark.parametrize("spec,env,want", [
    (None, {}, (0, 1)),
    ("2/5", {}, (2, 5)),
    ("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, (3, 4)),
    ("auto", {"SLURM_ARRAY_TASK_ID": "11", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_COUNT": "4"}, (1, 4)),
    ("auto/8", {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "6"}, (5, 8)),
    ("auto/4", {"PBS_ARRAY_INDEX": "0"}, (0, 4)),
    ("auto/4", {"SGE_TASK_ID": "4"}, (3, 4)),   # SGE counts from 1
    ("auto/4", {"LSB_JOBINDEX": "1"}, (0, 4)),  # LSF counts from 1
])
def test_parse_shard(spec, env, want):
    assert parse_shard(spec, env) == want


@pytest.mark.parametrize("spec,env,msg", [
    ("3/3", {}, "need 0 <= i < N"),
    ("1", {}, "expected i/N"),
    ("a/2", {}, "'a' is not a whole number"),
    ("auto", {}, "not inside an array job"),
    ("auto", {"SGE_TASK_ID": "2"}, "gives no task count; use --shard auto/N"),
    ("auto/2", {"PBS_ARRAY_INDEX": "2"}, "need 0 <= i < N"),
])
def test_parse_shard_errors(spec, env, msg):
    with pytest.raises(SimgenError, match=msg):
        parse_shard(spec, env)


def test_shards_partition_the_frames():
    for n in range(1, 6):
        parts = [shard_frames(10, 17, (i, n)) for i in range(n)]
        assert sorted(f for p in parts for f in p) == list(range(10, 27))


@pytest.mark.blender
def test_local_farm_matches_single_process(tmp_path, run_cli):
    from simgen.render.run import render

    scene = tmp_path / "s.yaml"
    scene.write_text(TINY_SCENE)
    code, out, err = run_cli("farm", "submit", scene, "--out", tmp_path / "farm", "--jobs", "2",
                             "--executor", "local")
    assert code == 0, out + err
    assert "4/4 frames complete; no failed shards" in out
    render(scene, tmp_path / "single", progress=False)
    assert_same_dataset(tmp_path / "farm", tmp_path / "single")
    code, out, _ = run_cli("farm", "status", tmp_path / "farm")
    assert code == 0 and "COMPLETED" in out


TINY_SCENE = """\
simgen: 1
seed: 3
frames: 4
render: {engine: cycles, device: cpu, samples: 2, denoise: false, resolution: [64, 48]}
animal: {placement: {x: {uniform: [-0.05, 0.05]}, yaw: {uniform: [0, 360]}}}
rig: [{name: floor, asset: plane, size: [0.4, 0.4, 0.01], material: {color: 0.85}}]
cameras: [{name: top, position: [0, 0, 0.3], focal_mm: 20, sensor_mm: 36}]
lights: [{type: area, position: [0, 0, 1], energy: 60, size: 0.5}]
"""


def assert_same_dataset(a, b, tol=8):
    from simgen.dataset import Dataset

    da, db = Dataset(a), Dataset(b)
    assert da.frames() == db.frames() and da.frames()
    for f in da.frames():
        ja = json.loads(da.layout.annotation(f).read_text())
        jb = json.loads(db.layout.annotation(f).read_text())
        assert ja == jb, f"annotation of frame {f} differs"
        ia, ib = da.load_image("top", f).astype(int), db.load_image("top", f).astype(int)
        assert np.abs(ia - ib).max() <= tol
        assert (da.load_mask("top", f) == db.load_mask("top", f)).all()
