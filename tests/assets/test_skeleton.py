import numpy as np
import pytest

from simgen.assets.mouse import KEYPOINT_NAMES, default_skeleton
from simgen.assets.skeleton import Skeleton, SkeletonError, euler_xyz, mirror_angles, vec_roll_to_mat3


@pytest.fixture(scope="module")
def skel():
    return default_skeleton()


def test_bone_matrix_is_a_rotation_along_the_bone():
    rng = np.random.default_rng(1)
    for d in [*rng.normal(size=(20, 3)), [0, -1, 0], [0, 1, 0], [1e-7, -1, 0]]:
        m = vec_roll_to_mat3(np.asarray(d, float), rng.uniform(-3, 3))
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-9)
        assert np.linalg.det(m) == pytest.approx(1.0)
        np.testing.assert_allclose(m[:, 1], np.asarray(d) / np.linalg.norm(d), atol=1e-6)


def test_euler_xyz_is_rz_ry_rx():
    a = np.array([30.0, -20.0, 50.0])
    rx, ry, rz = (euler_xyz(np.eye(3)[i] * a[i]) for i in range(3))
    np.testing.assert_allclose(euler_xyz(a), rz @ ry @ rx, atol=1e-12)
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    np.testing.assert_allclose(rx, [[1, 0, 0], [0, c, -s], [0, s, c]], atol=1e-12)


def test_default_mouse_anatomy(skel):
    names = skel.bone_names
    assert skel.keypoint_names == KEYPOINT_NAMES and len(KEYPOINT_NAMES) == 33
    assert sum(n.startswith("tail_") for n in names) >= 10
    for b in ["spine_0", "neck", "head", "jaw", "ear_l", "ear_r"]:
        assert b in names
    for s in "lr":
        for b in ["scapula", "humerus", "forearm", "paw", "femur", "tibia", "foot"]:
            assert f"{b}_{s}" in names
    k = dict(zip(skel.keypoint_names, skel.keypoints_rest()))
    assert k["snout"][0] - k["tail_base"][0] == pytest.approx(0.095, abs=0.004)  # nose to tail base
    tail = np.array([k[n] for n in ["tail_base", "tail_q1", "tail_mid", "tail_q3", "tail_tip"]])
    assert np.linalg.norm(np.diff(tail, axis=0), axis=1).sum() == pytest.approx(0.085, rel=0.03)
    paws = [k[f"{s}_{p}"][2] for s in ("left", "right") for p in ("forepaw", "hindpaw")]
    assert max(paws) < 0.003  # feet on the floor
    assert k["left_ear_tip"][2] > k["head"][2] > k["snout"][2]


def test_left_right_keypoints_mirror_in_rest_pose(skel):
    k = dict(zip(skel.keypoint_names, skel.keypoints_rest()))
    flip = np.array([1.0, -1.0, 1.0])
    for name, p in k.items():
        if name.startswith("left_"):
            assert p[1] > 0.002, name  # the animal's left is +y
            np.testing.assert_allclose(k["right_" + name[5:]], p * flip, atol=1e-9)
        elif not name.startswith("right_"):
            assert abs(p[1]) < 1e-9, name  # midline


def test_mirrored_angles_give_mirrored_pose(skel):
    rng = np.random.default_rng(3)
    lim = skel.limits()
    arr = rng.uniform(lim[..., 0], lim[..., 1]) * 0.5
    idx = {n: i for i, n in enumerate(skel.bone_names)}
    mirrored = np.zeros_like(arr)
    for n, i in idx.items():
        twin = n[:-1] + {"l": "r", "r": "l"}[n[-1]] if n.endswith(("_l", "_r")) else n
        mirrored[idx[twin]] = mirror_angles(arr[i])
    k = skel.keypoints_posed(arr)
    km = skel.keypoints_posed(mirrored)
    names = skel.keypoint_names
    for i, n in enumerate(names):
        twin = n.replace("left_", "TMP").replace("right_", "left_").replace("TMP", "right_")
        np.testing.assert_allclose(km[names.index(twin)], k[i] * [1, -1, 1], atol=1e-9)


def test_keypoints_follow_their_bones(skel):
    """Rotating one bone moves exactly the keypoints on it and its descendants, rigidly about its head."""
    k0 = skel.keypoints_rest()
    np.testing.assert_allclose(skel.keypoints_posed({}), k0, atol=1e-12)
    head = skel.bone("head")
    k1 = skel.keypoints_posed({"head": [30, 0, 0]})
    moved = np.linalg.norm(k1 - k0, axis=1) > 1e-9
    names = skel.keypoint_names
    assert {names[i] for i in np.nonzero(moved)[0]} == {"snout", "left_eye", "right_eye", "head", "left_ear_tip",
                                                       "right_ear_tip", "left_ear_base", "right_ear_base"} - {
        n for n in names if not moved[names.index(n)]}
    assert moved[names.index("snout")] and not moved[names.index("neck")]
    # rigid: distances to the bone head are kept, and the snout went down (+rx tips a forward bone down)
    i = names.index("snout")
    assert np.linalg.norm(k1[i] - head.head) == pytest.approx(np.linalg.norm(k0[i] - head.head))
    assert k1[i][2] < k0[i][2] - 0.005
    # a chain: bending spine_3 carries the whole head
    k2 = skel.keypoints_posed({"spine_3": [0, 0, -20]})
    assert k2[names.index("snout")][1] > 0.005  # rz < 0 turns left (+y)
    assert np.allclose(k2[names.index("tail_tip")], k0[names.index("tail_tip")])


def test_limits_clip_and_violations(skel):
    assert skel.violations({"jaw": [10, 0, 0]}) == []
    bad = skel.violations({"jaw": [40, 5, 0]})
    assert len(bad) == 2 and bad[0].startswith("jaw.x")  # y is locked
    assert skel.clip({"jaw": [40, 5, 0]})["jaw"] == [25.0, 0.0, 0.0]
    with pytest.raises(SkeletonError, match="unknown bone"):
        skel.angle_array({"wing_l": [0, 0, 0]})
    with pytest.raises(SkeletonError, match="3 finite"):
        skel.angle_array({"head": [0, float("nan"), 0]})


def test_serialization_round_trip(skel):
    again = Skeleton.from_dict(skel.to_dict())
    assert again.bone_names == skel.bone_names
    np.testing.assert_allclose(again.rest_matrices(), skel.rest_matrices(), atol=1e-6)
    a = {"head": [10, 5, -3], "tail_4": [5, 0, 10]}
    np.testing.assert_allclose(again.keypoints_posed(a), skel.keypoints_posed(a), atol=1e-6)
    with pytest.raises(SkeletonError):
        Skeleton.from_dict({"bones": [{"name": "a"}], "keypoints": []})
