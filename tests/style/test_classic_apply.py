"""The classic method end to end on a tiny dataset: fit, apply (new dataset dir), score."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simgen.dataset import Dataset, DatasetMeta
from simgen.errors import SimgenError
from simgen.style.apply import apply_style
from simgen.style.classic import fit_classic, match_lut, vignette_field
from simgen.style.data import load_synthetic
from simgen.style.train import train_style
from simgen.video import sample_frames


def load_real_frames(source, n):
    return sample_frames(source, n).images


def test_match_lut_maps_one_histogram_onto_another():
    rng = np.random.default_rng(0)
    src = rng.uniform(100, 200, 10000)
    tgt = rng.uniform(20, 60, 10000)
    lut = np.asarray(match_lut(src, tgt))
    mapped = np.interp(src, np.arange(256), lut)
    assert abs(mapped.mean() - 40) < 1.5 and abs(mapped.std() - tgt.std()) < 1.5
    assert np.all(np.diff(lut) >= 0)  # monotone: a tone curve, never a geometry change


def test_classic_fit_moves_statistics_toward_the_real_frames(tiny_dataset, tiny_real):
    real = load_real_frames(tiny_real, 8)
    syn = load_synthetic(tiny_dataset)
    model = fit_classic(real, syn.images, np.random.default_rng(0))
    assert model.mono
    out = [model.apply(im, np.random.default_rng(1)) for im in syn.images]
    assert all(o.shape == im.shape and o.dtype == np.uint8 for o, im in zip(out, syn.images))
    assert all(np.array_equal(o[..., 0], o[..., 2]) for o in out)  # grey, like the real frames
    real_mean = np.mean([r.mean() for r in real])
    assert abs(np.mean([o.mean() for o in out]) - real_mean) < 0.3 * abs(
        np.mean([s.mean() for s in syn.images]) - real_mean)
    vig = vignette_field(48, 64, model.vignette)
    assert vig[0, 0] < 0.8 * vig[24, 32]  # the real frames darken toward the corners


def test_apply_writes_a_new_dataset_with_byte_identical_annotations(tmp_path, tiny_dataset, tiny_real):
    model = train_style(tiny_dataset, tiny_real, tmp_path / "model", method="classic", progress=False)
    assert (tmp_path / "model" / "style.json").is_file() and model.sheet.is_file()
    out = tmp_path / "styled"
    rep = apply_style(tmp_path / "model", tiny_dataset, out, seed=3, progress=False)
    src = Dataset(tiny_dataset)
    dst = Dataset(out)
    kept = dst.frames()
    assert rep.written == len(kept) and len(kept) + len(rep.dropped) == len(src.frames())
    assert len(kept) >= 4  # the classic style moves nothing; the gate keeps (nearly) all frames
    for f in kept:
        assert src.layout.annotation(f).read_bytes() == dst.layout.annotation(f).read_bytes()
        assert src.layout.mask("top", f).read_bytes() == dst.layout.mask("top", f).read_bytes()
        assert not np.array_equal(src.load_image("top", f), dst.load_image("top", f))
    meta = DatasetMeta.load(out / "dataset.json")
    assert meta.keypoints == src.meta.keypoints and meta.scene_sha256 == src.meta.scene_sha256
    assert meta.extra["style"]["method"] == "classic" and meta.extra["style"]["seed"] == 3
    report = json.loads((out / "style_report.json").read_text())
    assert report["dropped"] == len(rep.dropped) and len(report["frames"]) == len(src.frames())

    # resuming writes nothing new; a second run with the same seed gives the same bytes
    again = apply_style(tmp_path / "model", tiny_dataset, out, seed=3, progress=False)
    assert again.written == 0 and again.skipped == len(src.frames())
    out2 = tmp_path / "styled2"
    apply_style(tmp_path / "model", tiny_dataset, out2, seed=3, progress=False)
    assert (out / "images/top/000000.png").read_bytes() == (out2 / "images/top/000000.png").read_bytes()


def test_gate_drops_frames_and_counts_them(tmp_path, tiny_dataset, tiny_real):
    train_style(tiny_dataset, tiny_real, tmp_path / "model", method="classic", progress=False)
    rep = apply_style(tmp_path / "model", tiny_dataset, tmp_path / "strict", max_drift_px=0.0, min_iou=1.01,
                      progress=False)
    assert rep.written == 0 and len(rep.dropped) == 6
    meta = DatasetMeta.load(tmp_path / "strict" / "dataset.json")
    assert meta.extra["style"]["dropped"] == list(range(6))


def test_errors_a_user_can_act_on(tmp_path, tiny_dataset, tiny_real):
    with pytest.raises(SimgenError, match="no such video file or image folder"):
        load_real_frames(tmp_path / "nope.mp4", 5)
    with pytest.raises(SimgenError, match="style.json"):
        apply_style(tmp_path, tiny_dataset, tmp_path / "x", progress=False)
    train_style(tiny_dataset, tiny_real, tmp_path / "m", progress=False)
    with pytest.raises(SimgenError, match="new directory"):
        apply_style(tmp_path / "m", tiny_dataset, tiny_dataset, progress=False)
