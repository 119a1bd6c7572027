"""Behavior placement: along walls, into corners, rearing at a wall; never through a wall."""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np
import pytest

from simgen.assets import poses
from simgen.sampling import sample_frame
from simgen.sampling.placement import (
    ArenaBox,
    arena_box,
    body_samples,
    feasible_box,
    place_points,
)
from simgen.sampling.skeletons import skeleton_for
from simgen.scene import load_scene

SCENE = Path(__file__).parents[2] / "scenes" / "openfield.yaml"
WEIGHTS = "{walk: 1.0, trot: 0.5, turn: 0.5, rear: 0.3, groom: 0.3, curl: 0.2, sniff: 0.5, rear_wall: 0.4}"


def _scene(*extra):
    return load_scene(SCENE, ["animal.placement.mode=behavior", f"animal.pose.preset_weights={WEIGHTS}",
                              *extra]).scene


def _world_body(frame, skel, per_bone=21):
    """Independent of the sampler's own samples: every bone at ``per_bone`` points + keypoints."""
    angles = frame.animals[0].pose.angles
    heads, tails = skel.bone_points(angles)
    t = np.linspace(0, 1, per_bone)[None, :, None]
    pts = np.concatenate([(heads[:, None] + t * (tails - heads)[:, None]).reshape(-1, 3),
                          skel.keypoints_posed(angles)])
    pl = frame.animals[0].placement
    return place_points(pts, pl.x, pl.y, pl.z, pl.yaw_deg, frame.animals[0].scale)


def _check_inside(scene, frames):
    skel = skeleton_for("mouse")
    regions = collections.Counter()
    for i in frames:
        f = sample_frame(scene, i)
        arena = arena_box(f.rig)
        w = _world_body(f, skel)
        assert w[:, 2].max() < arena.height  # the walls are higher than a reared mouse
        # the skeleton itself strictly inside, and the body's radius clear of the walls too
        assert arena.clearance(w).min() > 0.0, (i, f.animals[0].placement)
        pts, rad = body_samples(skel, f.animals[0].pose.angles, f.animals[0].shape.girth if f.animals[0].shape else 1.0)
        pl = f.animals[0].placement
        wr = place_points(pts, pl.x, pl.y, pl.z, pl.yaw_deg, f.animals[0].scale)
        assert arena.clearance(wr, rad * f.animals[0].scale).min() > -1e-9, (i, f.animals[0].placement)
        regions[pl.region] += 1
    return regions


def test_sampled_frames_never_go_through_a_wall():
    regions = _check_inside(_scene(), range(120))
    assert set(regions) == {"open", "wall", "corner", "rear_wall"}


def test_plump_bodies_never_go_through_a_wall():
    """A wider trunk (animal.shape.girth) widens the sampler's body, so walls still hold."""
    scene = _scene("animal.shape.girth={uniform: [1.3, 1.6]}")
    regions = _check_inside(scene, range(60))
    assert regions["wall"] + regions["corner"] > 20
    f = sample_frame(scene, 0)
    assert 1.3 <= f.animals[0].shape.girth <= 1.6


@pytest.mark.slow  # ~30 s: the 1000 frames
def test_1000_frames_never_go_through_a_wall():
    regions = _check_inside(_scene(), range(1000))
    n = sum(regions.values())
    assert 0.15 < regions["corner"] / n < 0.35 and 0.25 < regions["wall"] / n < 0.5


def test_walls_corners_and_rearing_look_like_the_behavior():
    scene = _scene("animal.placement.heading_jitter_deg=0", "animal.placement.wall_gap=0.001")
    skel = skeleton_for("mouse")
    names = skel.keypoint_names
    seen = collections.Counter()
    for i in range(80):
        f = sample_frame(scene, i)
        pl, arena = f.animals[0].placement, arena_box(f.rig)
        kp = place_points(skel.keypoints_posed(f.animals[0].pose.angles), pl.x, pl.y, pl.z, pl.yaw_deg, f.animals[0].scale)
        local = arena.to_local(kp[:, :2])
        snout = local[names.index("snout")]
        heading = np.radians(pl.yaw_deg - arena.yaw_deg)
        seen[pl.region] += 1
        if pl.region == "wall":  # heading along a wall, the body close to it
            assert min(abs(np.sin(heading)), abs(np.cos(heading))) < 0.02
            assert arena.clearance(kp).min() < 0.02
        elif pl.region == "corner":  # the snout close to the corner it heads into
            corner = np.sign(snout) * [arena.hx, arena.hy]
            tail = local[names.index("tail_base")]
            assert np.linalg.norm(snout - corner) < min(0.08, np.linalg.norm(tail - corner))
            assert np.dot([np.cos(heading), np.sin(heading)], np.sign(snout)) > 0.5
        elif pl.region == "rear_wall":  # facing the wall, forepaws near it (head touches first), hind feet down
            paws = kp[[names.index("left_forepaw"), names.index("right_forepaw")]]
            assert arena.clearance(paws).min() < 0.02
            assert paws[:, 2].min() > 0.04
            hind = kp[[names.index("left_hindpaw"), names.index("right_hindpaw")], 2]
            assert hind.max() < 0.01
    assert seen["wall"] and seen["corner"] and seen["rear_wall"]


def test_placement_is_deterministic_and_uniform_mode_unchanged():
    scene = _scene()
    assert sample_frame(scene, 7) == sample_frame(scene, 7)
    uniform = load_scene(SCENE, ["animal.placement.mode=uniform"]).scene
    f = sample_frame(uniform, 7)
    assert f.animals[0].placement.region is None
    # uniform mode keeps the drawn x, y, yaw: the same as with the behavior fields changed
    other = load_scene(SCENE, ["animal.placement.mode=uniform", "animal.placement.wall=0.1"]).scene
    assert sample_frame(other, 7) == f


def test_rear_wall_pose_stands_on_hind_legs_with_forepaws_forward():
    skel = skeleton_for("mouse")
    names = skel.keypoint_names
    for v in np.linspace(0, 1, 7, endpoint=False):
        a = poses.preset_angles(skel, "rear_wall", v)
        assert skel.violations(a) == []
        k = skel.keypoints_posed(a)
        k[:, 2] += poses.ground_offset(skel, a)
        paws = k[[names.index("left_forepaw"), names.index("right_forepaw")]]
        hind = k[[names.index("left_hindpaw"), names.index("right_hindpaw")]]
        assert hind[:, 2].max() < 0.005 and paws[:, 2].min() > 0.05  # upright on the hind legs
        assert paws[:, 0].max() >= k[names.index("snout"), 0] - 0.005  # paws as far forward as the snout


def test_feasible_box_is_exact_for_a_rotated_arena():
    arena = ArenaBox(0.1, -0.05, 30.0, 0.2, 0.1, 0.15)
    pts = np.array([[0.05, 0.0, 0.01], [-0.1, 0.0, 0.01]])
    rad = np.array([0.01, 0.003])
    box = feasible_box(arena, pts, rad, 20.0, 1.0)
    for lx, ly in [(box[0], box[2]), (box[1], box[3]), (box[1], box[2])]:
        x, y = arena.to_world(np.array([lx, ly]))
        w = place_points(pts, x, y, 0.0, 20.0 + arena.yaw_deg, 1.0)
        cl = arena.clearance(w, rad)
        assert cl.min() > -1e-9 and cl.min() < 1e-9  # touching, not through
    assert feasible_box(arena, pts * 5, rad, 0.0, 1.0) is None  # longer than the arena
