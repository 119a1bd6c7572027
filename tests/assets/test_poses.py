import numpy as np
import pytest

from simgen.assets import poses
from simgen.assets.mouse import default_skeleton
from simgen.assets.skeleton import SkeletonError


@pytest.fixture(scope="module")
def skel():
    return default_skeleton()


def kp(skel, angles, name):
    return skel.keypoints_posed(angles)[skel.keypoint_names.index(name)]


def test_preset_names_are_the_contract():
    assert poses.PRESET_NAMES == ("rest", "walk", "trot", "turn", "rear", "groom", "curl", "sniff", "rear_wall")
    assert set(poses.PRESETS) == set(poses.PRESET_NAMES)


@pytest.mark.parametrize("name", poses.PRESET_NAMES)
def test_every_preset_within_limits_and_finite(skel, name):
    for v in np.linspace(0, 1, 9, endpoint=False):
        angles = poses.preset_angles(skel, name, v)
        assert skel.violations(angles) == []
        assert np.isfinite(skel.keypoints_posed(angles)).all()


@pytest.mark.parametrize("mode", ["random", "presets"])
def test_200_sampled_poses_within_limits(skel, mode):
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        pose = poses.sample_pose(skel, mode, None, 8.0, rng)
        seen.add(pose["preset"])
        assert skel.violations(pose["angles"]) == []
        assert np.isfinite(skel.keypoints_posed(pose["angles"])).all()
    assert seen == ({"random"} if mode == "random" else set(poses.PRESET_NAMES))


def test_sampling_is_reproducible_and_weighted(skel):
    a = poses.sample_pose(skel, "presets", {"rear": 1, "walk": 0}, 5.0, np.random.default_rng(7))
    b = poses.sample_pose(skel, "presets", {"rear": 1, "walk": 0}, 5.0, np.random.default_rng(7))
    assert a == b and a["preset"] == "rear"
    assert poses.sample_pose(skel, "rest", None, 5.0, np.random.default_rng(0)) == {"preset": "rest", "angles": {}}
    with pytest.raises(SkeletonError, match="Generator"):
        poses.sample_pose(skel, "presets", None, 5.0, None)
    with pytest.raises(SkeletonError, match="unknown pose preset"):
        poses.sample_pose(skel, "presets", {"fly": 1}, 5.0, np.random.default_rng(0))
    with pytest.raises(SkeletonError, match="mode"):
        poses.sample_pose(skel, "wild", None, 5.0, np.random.default_rng(0))


def test_presets_look_like_the_behaviour(skel):
    rest = lambda n: kp(skel, {}, n)  # noqa: E731
    rear = poses.preset_angles(skel, "rear", 0.5)
    lift = poses.ground_offset(skel, rear)
    assert kp(skel, rear, "snout")[2] + lift > rest("snout")[2] + 0.03  # upright
    for side in ("left", "right"):  # hind feet planted where they stood
        assert kp(skel, rear, f"{side}_ankle")[2] + lift == pytest.approx(rest(f"{side}_ankle")[2], abs=0.002)
    groom = poses.preset_angles(skel, "groom", 0.5)
    for side in ("left", "right"):
        assert np.linalg.norm(kp(skel, groom, f"{side}_forepaw") - kp(skel, groom, f"{side}_eye")) < 0.012
    left, right = poses.preset_angles(skel, "turn", 0.2), poses.preset_angles(skel, "turn", 0.7)
    assert kp(skel, left, "snout")[1] > 0.01 and kp(skel, right, "snout")[1] < -0.01
    down, up = poses.preset_angles(skel, "sniff", 0.2), poses.preset_angles(skel, "sniff", 0.8)
    assert kp(skel, down, "snout")[2] < rest("snout")[2] - 0.004 < rest("snout")[2] + 0.004 < kp(skel, up, "snout")[2]
    curl = poses.preset_angles(skel, "curl", 0.2)
    assert np.linalg.norm(kp(skel, curl, "snout") - kp(skel, curl, "tail_base")) < 0.06


def test_walk_cycle_moves_each_paw_back_and_forth(skel):
    seq = poses.gait_sequence(skel, "walk", 24)
    x = np.array([kp(skel, p["angles"], "left_hindpaw")[0] for p in seq])
    assert np.ptp(x) > 0.006
    z = np.array([kp(skel, p["angles"], "left_hindpaw")[2] for p in seq])
    assert np.ptp(z) > 0.002  # lifted during swing


def test_sequence_is_smooth_and_hits_keys(skel):
    keys = [{"preset": n, "angles": poses.preset_angles(skel, n, 0.3)} for n in ("rest", "sniff", "rear", "groom")]
    seq = poses.pose_sequence(skel, keys, 10)
    assert len(seq) == 31
    arr = np.stack([skel.angle_array(p["angles"]) for p in seq])
    for i, k in enumerate(keys):
        np.testing.assert_allclose(arr[10 * i], skel.angle_array(k["angles"]), atol=1e-9)
    step = np.abs(np.diff(arr, axis=0)).max()
    jump = max(np.abs(skel.angle_array(a["angles"]) - skel.angle_array(b["angles"])).max()
               for a, b in zip(keys, keys[1:]))
    assert step < jump / 10 * 1.6  # no frame jumps much more than an even share of its segment
    assert all(skel.violations(p["angles"]) == [] for p in seq)
