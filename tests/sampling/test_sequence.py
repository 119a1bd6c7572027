"""frames_mode: sequence: smooth clips, per-clip draws, order/shard independence, head fixing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simgen.assets.poses import gait_sequence
from simgen.sampling import sample_frame
from simgen.sampling.sequence import clip_frame, stance_speed_per_hz
from simgen.sampling.skeletons import skeleton_for
from simgen.scene import load_scene
from simgen_testdata import MINIMAL_SCENE

REPO = Path(__file__).resolve().parents[2]
LENGTH = 24
SEQ = MINIMAL_SCENE + f"frames_mode: sequence\nsequence: {{length: {LENGTH}, fps: 120.0, key_seconds: 0.1}}\n"


@pytest.fixture(scope="module")
def seq_scene(tmp_path_factory):
    path = tmp_path_factory.mktemp("seq") / "scene.yaml"
    path.write_text(SEQ)
    return load_scene(path).scene


@pytest.fixture(scope="module")
def seq_reference(seq_scene):
    return [json.dumps(sample_frame(seq_scene, i).to_json(), sort_keys=True) for i in range(2 * LENGTH)]


def _angles(specs) -> np.ndarray:
    sk = skeleton_for("mouse")
    return np.stack([sk.angle_array(s.animals[0].pose.angles) for s in specs])


def _xyyaw(specs) -> np.ndarray:
    return np.array([[s.animals[0].placement.x, s.animals[0].placement.y, s.animals[0].placement.yaw_deg] for s in specs])


def test_clip_fields_and_per_clip_values(seq_scene):
    specs = [sample_frame(seq_scene, i) for i in range(2 * LENGTH)]
    assert [s.clip.index for s in specs] == [0] * LENGTH + [1] * LENGTH
    assert [s.clip.frame for s in specs[:LENGTH]] == list(range(LENGTH))
    assert specs[5].clip.time_s == pytest.approx(5 / 120)

    def per_clip(s):  # everything but the pose and the path
        d = s.to_json()
        for k in ("frame", "clip"):
            d.pop(k)
        for k in ("pose", "placement"):
            d["animal"].pop(k)
        return json.dumps(d, sort_keys=True)

    first, second = {per_clip(s) for s in specs[:LENGTH]}, {per_clip(s) for s in specs[LENGTH:]}
    assert len(first) == 1 and len(second) == 1  # constant within each clip ...
    assert first != second  # ... and drawn anew for the next
    a, b = specs[LENGTH - 1], specs[LENGTH]
    assert a.animals[0].scale != b.animals[0].scale
    assert a.cameras[0].position != b.cameras[0].position
    assert a.lights[0].energy != b.lights[0].energy


def test_consecutive_frames_move_a_little_and_clips_jump(seq_scene):
    specs = [sample_frame(seq_scene, i) for i in range(4 * LENGTH)]
    ang, pos = _angles(specs), _xyyaw(specs)
    step = np.abs(np.diff(ang, axis=0)).max(axis=(1, 2))  # largest joint change per frame, degrees
    move = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1)
    turn = np.abs(np.diff(pos[:, 2]))
    inside = np.array([(i + 1) % LENGTH != 0 for i in range(len(specs) - 1)])
    # at 120 frames/s: a few degrees per frame, at most the trotting legs' swing
    assert step[inside].max() < 30.0 and np.median(step[inside]) < 5.0
    assert move[inside].max() < 0.2 / 120 + 1e-9  # < 20 cm/s
    assert turn[inside].max() < 360 / 120  # < 360 deg/s
    # the clip boundaries re-draw: large jumps in pose, place or heading
    boundary = ~inside
    assert np.all((step[boundary] > 5) | (move[boundary] > 0.005) | (turn[boundary] > 5))
    # independent frames of the same scene jump everywhere
    indep = seq_scene.model_copy(update={"frames_mode": "independent"})
    istep = np.abs(np.diff(_angles([sample_frame(indep, i) for i in range(24)]), axis=0)).max(axis=(1, 2))
    assert np.median(istep) > 4 * np.median(step[inside])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(list(range(2 * LENGTH))), n=st.integers(1, 5))
def test_any_order_or_shard_gives_same_specs(seq_scene, seq_reference, order, n):
    got = {i: json.dumps(sample_frame(seq_scene, i).to_json(), sort_keys=True) for i in order[: len(order) // 3]}
    for shard in range(n):
        for i in range(shard, 2 * LENGTH, n):
            got.setdefault(i, json.dumps(sample_frame(seq_scene, i).to_json(), sort_keys=True))
    assert [got[i] for i in range(2 * LENGTH)] == seq_reference


def test_walk_clip_legs_are_the_gait_sequence_and_feet_do_not_slide(tmp_path):
    path = tmp_path / "walk.yaml"
    path.write_text(MINIMAL_SCENE + "frames_mode: sequence\n"
                    "sequence: {length: 30, fps: 60.0, stride_hz: 4.0, wander_deg_s: 0.0}\n")
    from simgen.scene.loader import load_scene as load

    scene = load(path, ["animal.pose.preset_weights={walk: 1.0}", "animal.pose.jitter_deg=0.0"]).scene
    sk = skeleton_for("mouse")
    frames = [clip_frame(scene, 0, j, 1.0, (0.0, 0.0, 30.0)) for j in range(30)]
    phase0 = frames[0].phase
    assert [f.phase - phase0 for f in frames] == pytest.approx([4.0 * j / 60 for j in range(30)])
    ref = gait_sequence(sk, "walk", n_frames=30, cycles=4.0 * 30 / 60, phase0=phase0)
    not_tail = [i for i, b in enumerate(sk.bone_names) if not b.startswith("tail")]
    got = np.stack([sk.angle_array(f.angles) for f in frames])[:, not_tail]
    want = np.stack([sk.angle_array(r["angles"]) for r in ref])[:, not_tail]
    assert np.abs(got - want).max() < 1e-9
    assert {f.preset for f in frames} == {"walk"}
    # straight ahead along the 30 deg heading at the no-slip speed
    xy = np.array([[f.x, f.y] for f in frames])
    d = np.diff(xy, axis=0)
    speed = stance_speed_per_hz("mouse", "walk") * 4.0
    assert np.allclose(np.linalg.norm(d, axis=1), speed / 60, rtol=1e-6)
    assert np.allclose(d / np.linalg.norm(d, axis=1, keepdims=True),
                       [math.cos(math.radians(30)), math.sin(math.radians(30))], atol=1e-9)
    assert 0.02 < speed < 0.1  # a walking mouse: a few cm/s


def test_long_clip_stays_in_the_placement_box(tmp_path):
    from simgen.scene.loader import load_scene as load

    scene = load(REPO / "scenes/openfield.yaml", ["frames_mode=sequence", "sequence.length=600",
                                           "animal.pose.preset_weights={trot: 1.0}"]).scene
    xy = _xyyaw([sample_frame(scene, i) for i in range(0, 600, 7)])[:, :2]
    assert np.all(np.abs(xy[:, 0]) <= 0.19 + 1e-9) and np.all(np.abs(xy[:, 1]) <= 0.12 + 1e-9)
    assert np.ptp(xy[:, 0]) > 0.1  # it does travel (20 s of trotting)


@pytest.mark.parametrize("mode", ["independent", "sequence"])
def test_fixed_head_keeps_the_head_under_the_bar(mode):
    from simgen.sampling.headfixed import head_chain

    scene = load_scene(REPO / "scenes/headfixed_wheel.yaml",
                       [f"frames_mode={mode}", "sequence.length=10"]
                       + (["animal.pose.preset_weights={walk: 1.0, trot: 1.0}"] if mode == "sequence" else [])).scene
    assert scene.animal.pose.fixed_head
    sk = skeleton_for("mouse")
    head = sk.keypoint_names.index("head")
    snout = sk.keypoint_names.index("snout")
    heads, snouts, legs = [], [], []
    for i in range(20):
        s = sample_frame(scene, i)
        a, p = s.animals[0], s.animals[0].placement
        assert not set(head_chain(sk)) & set(a.pose.angles)
        kp = sk.keypoints_posed(a.pose.angles)
        c, si = math.cos(math.radians(p.yaw_deg)), math.sin(math.radians(p.yaw_deg))
        rz = np.array([[c, -si, 0], [si, c, 0], [0, 0, 1]])
        world = a.scale * kp @ rz.T + [p.x, p.y, p.z]
        heads.append(world[head])
        snouts.append(world[snout] - world[head])
        legs.append(a.pose.angles.get("femur_l", [0, 0, 0])[0])
    heads = np.array(heads)
    assert np.abs(heads - heads[0]).max() < 1e-9  # the head stays where the bar holds it
    assert np.ptp(np.array(snouts), axis=0).max() < 0.004  # only scale/yaw jitter turn the face
    assert np.ptp(legs) > 10  # while the legs move
