"""Several animals in one Blender scene (issue 16): own objects, own mask ids, another animal
hides a keypoint, identities kept over a clip; verify, preview and the exports with
identities (DeepLabCut, SLEAP, COCO) read the dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.blender

SCENES = Path(__file__).resolve().parents[2] / "scenes"

# Two mice, the first fixed in the middle, the second riding on its back, seen from straight above
# at 160x120: the rider hides part of the first mouse's back.
ON_TOP = """simgen: 1
seed: 3
frames: 2
render: {engine: workbench, samples: 1, denoise: false, resolution: [160, 120]}
animals:
  - {name: below, fur: black, pose: {mode: rest}, placement: {x: 0.0, y: 0.0, yaw: 0.0}}
  - {name: above, fur: white, pose: {mode: rest}, placement: {x: 0.0, y: 0.0, yaw: {uniform: [0, 360]}}}
social: {on_top: 1.0, independent: 0.0}
rig:
  - {name: arena, asset: arena, size: [0.3, 0.2, 0.05]}
cameras:
  - {name: top, position: [0, 0, 0.32], look_at: [0, 0, 0], focal_mm: 6, sensor_mm: 6.4}
lights:
  - {name: sun, type: area, position: [0, 0, 1], energy: 20, size: 1}
"""


@pytest.fixture(scope="module")
def on_top(tmp_path_factory):
    from simgen.render.run import plan, run

    d = tmp_path_factory.mktemp("on_top")
    (d / "scene.yaml").write_text(ON_TOP)
    out = d / "out"
    run(plan(d / "scene.yaml", out), progress=False)
    return out


def test_another_animal_occludes_and_masks_carry_ids(on_top):
    from simgen.dataset import Dataset

    ds = Dataset(on_top)
    assert ds.meta.format == "simgen-dataset/1.1"
    assert ds.meta.animals == [{"name": "below", "asset": "mouse"}, {"name": "above", "asset": "mouse"}]
    assert ds.meta.mask_ids == {"background": 0, "below": 1, "above": 2, "arena": 3}
    hidden = 0
    for f in ds.frames():
        ann = ds.annotation(f)
        mask = ds.load_mask("top", f)
        assert {1, 2} <= set(np.unique(mask).tolist())
        below, above = ann.animals
        assert (below.name, below.track, above.name, above.track) == ("below", 0, "above", 1)
        for animal, own in ((below, 1), (above, 2)):
            label = animal.cameras["top"]
            xy = np.rint(label.keypoints[:, :2]).astype(int)
            for name, (x, y), v in zip(ds.keypoints, xy, label.keypoints[:, 2]):
                # a visible point lies on its own animal (within 2 px); the tail is left out: at
                # 160x120 its far half is thinner than a pixel, so the mask does not show it
                if v == 2 and not name.startswith("tail"):
                    patch = mask[max(0, y - 2):y + 3, max(0, x - 2):x + 3]
                    assert (patch == own).any(), (f, animal.name, x, y)
            assert label.bbox is not None
            ys, xs = np.nonzero(mask == own)
            assert label.bbox.tolist() == [xs.min() - 0.5, ys.min() - 0.5, xs.max() + 0.5, ys.max() + 0.5]
        # the lower mouse's back under the rider: occluded, and the rider's pixels cover it
        label = below.cameras["top"]
        for (x, y), v in zip(np.rint(label.keypoints[:, :2]).astype(int), label.keypoints[:, 2]):
            if v == 1 and mask[y, x] == 2:
                hidden += 1
    assert hidden >= 1


def test_verify_and_preview_read_several_animals(on_top, tmp_path):
    from PIL import Image

    from simgen.dataset import verify_dataset
    from simgen.render.contact_sheet import contact_sheet

    assert verify_dataset(on_top).ok
    sheet = contact_sheet(on_top, tmp_path / "sheet.png", n=2)
    with Image.open(sheet) as im:
        assert im.size[0] > 0
    # an annotation without one of the instances is corrupt
    p = on_top / "annotations" / "000001.json"
    d = json.loads(p.read_text())
    d["instances"] = d["instances"][:1]
    bad = tmp_path / "bad"
    import shutil

    shutil.copytree(on_top, bad)
    (bad / "annotations" / "000001.json").write_text(json.dumps(d))
    report = verify_dataset(bad)
    assert [f for f, _ in report.corrupt] == [1] and "instances" in report.corrupt[0][1]


def test_identities_stay_over_a_clip(tmp_path):
    from simgen.dataset import Dataset
    from simgen.render.run import plan, run

    out = tmp_path / "clip"
    sets = ["render.resolution=[96,72]", "cameras[0].resolution=null", "frames_mode=sequence",
            "sequence.length=3", "animal.placement.mode=uniform", "cameras.top.jitter.position=null",
            "cameras.top.jitter.focal_mm=null"]
    run(plan(SCENES / "openfield_pair.yaml", out, frames=3, preset="preview", overrides=sets), progress=False)
    ds = Dataset(out)
    anns = [ds.annotation(f) for f in ds.frames()]
    assert len(anns) == 3
    for k, name in enumerate(["mouse0", "mouse1"]):
        assert [a.animals[k].name for a in anns] == [name] * 3
        assert [a.animals[k].track for a in anns] == [k] * 3
        assert len({a.params["animals"][k]["fur"] for a in anns}) == 1
    # the animal with mask id k+1 is the same one in every frame: its box moves little between frames
    for k in range(2):
        boxes = [a.animals[k].cameras["top"].bbox for a in anns]
        if all(b is not None for b in boxes):
            centers = np.array([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] for b in boxes])
            assert np.abs(np.diff(centers, axis=0)).max() < 10


def test_single_animal_exports_refuse_several_animals(on_top, tmp_path):
    from simgen.errors import SimgenError
    from simgen.export import export, from_dataset

    # lightning-pose is one animal per image (yolo takes several since issue 32: tests/export/test_yolo.py)
    with pytest.raises(SimgenError, match="several animals .*lightning-pose exports one animal"):
        export("lightning-pose", on_top, tmp_path / "lp")
    with pytest.raises(SimgenError, match="several animals"):
        from_dataset(on_top)  # what pose training reads


def test_exports_keep_identities_of_a_real_render(on_top, tmp_path):
    """DeepLabCut, SLEAP and COCO exports of the rendered pair: each animal's labels under its
    own name, equal to the annotations, in every frame."""
    import pandas as pd
    import sleap_io as sio
    import yaml
    from PIL import Image

    from simgen.dataset import Dataset
    from simgen.export import export

    ds = Dataset(on_top)
    frames = ds.frames()
    kp = np.stack([[a.cameras["top"].keypoints for a in ds.annotation(f).animals] for f in frames])  # (F, 2, K, 3)
    labeled = np.where(kp[..., 2:] > 0, kp[..., :2], np.nan)
    visible = np.where(kp[..., 2:] == 2, kp[..., :2], np.nan)

    cfg = yaml.safe_load(export("dlc", on_top, tmp_path / "dlc").read_text())
    assert cfg["individuals"] == ["below", "above"] and cfg["multianimalbodyparts"] == ds.keypoints
    (h5,) = (tmp_path / "dlc" / "labeled-data").glob("*/CollectedData_simgen.h5")
    df = pd.read_hdf(h5, "df_with_missing")
    assert list(df.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
    np.testing.assert_allclose(df.to_numpy().reshape(visible.shape), visible)  # occluded dropped: DLC's default

    export("sleap", on_top, tmp_path / "sleap")
    pkg = sio.load_slp(str(tmp_path / "sleap" / "labels.pkg.slp"))
    assert [t.name for t in pkg.tracks] == ["below", "above"] and len(pkg.labeled_frames) == len(frames)
    for k, lf in enumerate(pkg.labeled_frames):
        assert [i.track for i in lf.instances] == pkg.tracks
        for a, inst in enumerate(lf.instances):
            np.testing.assert_allclose(inst.points["xy"], labeled[k, a])

    coco = json.loads(export("coco", on_top, tmp_path / "coco").read_text())
    for k, f in enumerate(frames):
        ids = np.asarray(Image.open(on_top / f"masks/top/{f:06d}.png"))
        anns = [a for a in coco["annotations"] if a["image_id"] == k + 1]
        assert [(a["track_id"], a["attributes"]["name"]) for a in anns] == [(1, "below"), (2, "above")]
        for a, ann in enumerate(anns):
            assert ann["area"] == (ids == a + 1).sum()
            xy = np.asarray(ann["keypoints"], float).reshape(-1, 3)
            np.testing.assert_allclose(np.where(xy[:, 2:] > 0, xy[:, :2], np.nan), labeled[k, a])
