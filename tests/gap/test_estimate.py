"""The label-free estimate: each signal reacts to what it is meant to catch."""

import numpy as np
from gap_fixtures import W, mouse_frame, oracle_model

from simgen.gap.estimate import estimate, headtail_signal, jump_signal, rank_fraction, validate


def _frames():
    rng = np.random.default_rng(0)
    return [mouse_frame(rng.uniform(40, W - 40), rng.uniform(30, 60), rng.uniform(0, 6.28))[0] for _ in range(8)]


def test_oracle_is_consistent_and_a_flip_ambiguous_frame_ranks_worst():
    import cv2

    frames = _frames()
    # Frame 3 gets a second, identical snout dot on the same row, on 4-px cells in the frame and
    # in its mirror image: the argmax picks the left one, in the frame and in the mirrored
    # frame, so the two predictions disagree by the dots' distance (a flip inconsistency).
    bad = frames[3].copy()
    bad[:] = 190
    cv2.rectangle(bad, (20, 40), (27, 47), (230, 30, 30), -1)
    cv2.rectangle(bad, (88, 40), (95, 47), (230, 30, 30), -1)
    cv2.circle(bad, (60, 70), 3, (30, 30, 230), -1)
    frames[3] = bad
    est = estimate(oracle_model(), frames)
    good = [i for i in range(8) if i != 3]
    assert est.signals["flip"][3] > 30
    assert np.all(est.signals["flip"][good] < 5)
    assert int(np.argmax(est.score)) == 3
    assert est.xy.shape == (8, 2, 2) and est.score.shape == (8,)


def test_oracle_predictions_are_accurate_so_validation_has_a_real_error():
    rng = np.random.default_rng(1)
    frames, kps = [], []
    for _ in range(6):
        img, _, kp = mouse_frame(rng.uniform(40, W - 40), rng.uniform(30, 60), rng.uniform(0, 6.28))
        frames.append(img)
        kps.append(kp)
    est = estimate(oracle_model(), frames)
    err = np.linalg.norm(est.xy - np.array(kps), axis=-1).mean(axis=1)
    assert err.max() < 3.0
    v = validate(est, 3 * est.score + 1)  # an error that follows the score exactly
    assert v.frames == 6 and v.spearman > 0.99 and set(v.spearman_per_signal) == set(est.signals)


def test_headtail_flags_ears_behind_the_body_and_odd_lengths():
    names = ["snout", "leftear", "rightear", "tailbase"]
    ok = np.array([[0, 0], [8, -3], [8, 3], [40, 0]], float)
    ears_at_tail = np.array([[0, 0], [38, -3], [38, 3], [40, 0]], float)
    short = np.array([[0, 0], [2, -3], [2, 3], [8, 0]], float)
    s = headtail_signal(np.stack([ok, ok, ok, ears_at_tail, short]), names)
    assert s[0] == 0 and s[3] > 0.3 and s[4] > 1.0
    assert np.all(headtail_signal(np.zeros((3, 2, 2)), ["a", "b"]) == 0)  # no snout/tail: no signal


def test_jump_catches_a_teleporting_frame():
    xy = np.zeros((10, 2, 2))
    xy[:, :, 0] = np.arange(10)[:, None]  # 1 px per frame
    xy[5] += 50
    j = jump_signal(xy)
    assert int(np.argmax(j)) == 5 and j[5] > 40 and j[0] == 0


def test_rank_fraction_ties_and_order():
    r = rank_fraction(np.array([3.0, 1.0, 1.0, 9.0]))
    assert r[3] == 1.0 and r[1] == r[2] < r[0]
