"""The tail lies on the floor instead of dipping through it (docs/mouse.md)."""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np

from simgen.assets import poses
from simgen.sampling import sample_frame
from simgen.sampling.placement import place_points
from simgen.sampling.skeletons import skeleton_for
from simgen.scene import load_scene

ROOT = Path(__file__).parents[2]
TAIL_POINTS = ("tail_base", "tail_q1", "tail_mid", "tail_q3", "tail_tip")


def _tail_heights(frame, skel):
    pl = frame.animals[0].placement
    kp = place_points(skel.keypoints_posed(frame.animals[0].pose.angles), pl.x, pl.y, pl.z, pl.yaw_deg,
                      frame.animals[0].scale)
    return kp[[skel.keypoint_names.index(n) for n in TAIL_POINTS], 2]


def test_sampled_tails_stay_on_the_floor_within_limits():
    """Before the lift, 142 of 300 open-field frames had a tail point > 1 mm under the floor."""
    scene = load_scene(ROOT / "scenes" / "openfield.yaml").scene
    skel = skeleton_for("mouse")
    under = collections.Counter()
    for i in range(150):
        f = sample_frame(scene, i)
        assert skel.violations(f.animals[0].pose.angles) == []
        if _tail_heights(f, skel).min() < -0.001:
            under[f.animals[0].pose.preset] += 1
    assert sum(under.values()) <= 3, under


def test_lift_touches_only_tails_under_the_floor_and_lays_them_behind():
    skel = skeleton_for("mouse")
    names = skel.keypoint_names
    tail = [names.index(n) for n in TAIL_POINTS]
    for preset in poses.PRESET_NAMES:
        angles = poses.preset_angles(skel, preset, 0.3)
        floor = -poses.ground_offset(skel, angles)
        lifted = poses.lift_tail_off_floor(skel, angles, floor)
        before, after = skel.keypoints_posed(angles), skel.keypoints_posed(lifted)
        if before[tail, 2].min() > floor + 0.0025:  # clear already: the very same pose
            assert lifted is angles, preset
            continue
        assert after[tail, 2].min() > floor + 0.0004, preset
        assert skel.violations(lifted) == []
        body = [i for i, n in enumerate(names) if not n.startswith("tail")]
        np.testing.assert_array_equal(after[body], before[body])  # only the tail moves
        assert after[tail[-1], 0] < after[tail[0], 0], preset  # the tip behind the base, not under the body
    # a thicker tail (animal.shape.tail) is lifted by its larger radius
    angles = poses.preset_angles(skel, "groom", 0.3)
    floor = -poses.ground_offset(skel, angles)
    thin = skel.keypoints_posed(poses.lift_tail_off_floor(skel, angles, floor, 1.0))
    thick = skel.keypoints_posed(poses.lift_tail_off_floor(skel, angles, floor, 2.0))
    assert thick[tail[1], 2] > thin[tail[1], 2] + 0.001
