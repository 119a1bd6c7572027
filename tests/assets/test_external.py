"""Rigged models from elsewhere -> simgen animal assets (``simgen asset import``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from simgen.assets.mouse import ensure_mouse

pytestmark = pytest.mark.blender

SPEC = {
    "name": "rodent",
    "keypoints": {
        "snout": {"bone": "head", "at": 0.5, "offset": [0.0, 0.0, 0.001]},
        "neck": {"bone": "neck", "at": "head"},
        "tailbase": {"bone": "tail_0", "at": "head"},
        "flank": {"vertex": 100},
    },
    "skeleton": [["snout", "neck"], ["neck", "tailbase"]],
    "limits": {"default": {"x": [-15, 15], "y": [-10, 10], "z": [-20, 20]}, "head": {"x": [-30, 30]}},
}


@pytest.fixture(scope="module")
def source():
    src = ensure_mouse()
    return src, json.loads((src / "mouse.json").read_text())


def _import(tmp_path, model, spec=SPEC):
    from simgen.assets.external import import_rigged_model

    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "asset"
    return import_rigged_model(model, spec_path, out), out


@pytest.mark.parametrize("suffix", [".blend", ".glb"])
def test_import_keeps_the_rig(tmp_path, source, suffix):
    src, ref = source
    doc, out = _import(tmp_path, src / f"mouse{suffix}")
    assert (out / "rodent.glb").is_file() and (out / "keypoints.yaml").is_file()
    ref_bones = {b["name"]: b for b in ref["bones"]}
    assert {b["name"] for b in doc["bones"]} == set(ref_bones)
    # the rig is the source's up to the centering translation
    heads = np.array([b["head"] for b in doc["bones"]])
    ref_heads = np.array([ref_bones[b["name"]]["head"] for b in doc["bones"]])
    shift = (heads - ref_heads).mean(axis=0)
    assert np.abs(heads - ref_heads - shift).max() < 1e-5
    assert max(abs(b["roll"] - ref_bones[b["name"]]["roll"]) for b in doc["bones"]) < 1e-4
    head = next(b for b in doc["bones"] if b["name"] == "head")
    assert head["limits"] == {"x": [-30.0, 30.0]}
    assert next(b for b in doc["bones"] if b["name"] == "neck")["limits"]["z"] == [-20.0, 20.0]
    kp = {k["name"]: k for k in doc["keypoints"]}
    want = np.array(head["head"]) + 0.5 * (np.array(head["tail"]) - np.array(head["head"])) + [0, 0, 0.001]
    np.testing.assert_allclose(kp["snout"]["rest"], want, atol=1e-9)
    assert kp["tailbase"]["bone"] == "tail_0" and kp["flank"]["bone"] in ref_bones
    # normalized: lowest vertex on the floor, centered in x/y (bounding box)
    pts = heads  # bones sit inside the body, above the floor
    assert pts[:, 2].min() > 0
    ks = yaml.safe_load((out / "keypoints.yaml").read_text())
    assert list(ks["keypoints"]) == ["snout", "neck", "tailbase", "flank"]


def test_imported_asset_renders_with_labels_on_the_animal(tmp_path, source):
    from simgen.dataset import Dataset
    from simgen.render.run import render

    _, out = _import(tmp_path, source[0] / "mouse.blend")
    scene = tmp_path / "scene.yaml"
    scene.write_text(f"""\
simgen: 1
frames: 2
render: {{engine: workbench, samples: 1, resolution: [200, 150]}}
animal: {{asset: {out}, pose: {{mode: presets, preset_weights: {{walk: 1}}, jitter_deg: 0.0}}}}
rig: [{{name: floor, asset: plane, size: [0.5, 0.5, 0.01], material: {{color: 0.9}}}}]
cameras: [{{name: top, position: [0, 0, 0.35], focal_mm: 20, sensor_mm: 36}}]
lights: [{{type: sun, position: [0, 0, 1], energy: 3}}]
keypoints: {{names: {out / 'keypoints.yaml'}}}
""")
    render(scene, tmp_path / "ds", progress=False)
    ds = Dataset(tmp_path / "ds")
    assert ds.frames() == [0, 1] and ds.keypoints == ["snout", "neck", "tailbase", "flank"]
    for f in ds.frames():
        ann = ds.annotation(f)
        mask = ds.load_mask("top", f)
        assert set(ann.params["animal"]["pose"]["angles"]) <= {b["name"] for b in source[1]["bones"]}
        on = visible = 0
        for x, y, v in ann.animals[0].cameras["top"].keypoints:
            if v == 2:
                visible += 1
                xi, yi = int(round(x)), int(round(y))
                on += bool((mask[max(yi - 2, 0):yi + 3, max(xi - 2, 0):xi + 3] == 1).any())
        assert visible >= 3 and on == visible  # visible keypoints sit on the animal (2 px)


def test_import_errors_are_clear(tmp_path, source):
    from simgen.errors import SimgenError

    bad = dict(SPEC, skeleton=[], keypoints={"snout": {"bone": "nose_bone"}})
    with pytest.raises(SimgenError, match="no bone 'nose_bone'"):
        _import(tmp_path, source[0] / "mouse.blend", bad)
    bad = dict(SPEC, skeleton=[], keypoints={"x": {"vertex": 10**7}})
    with pytest.raises(SimgenError, match="out of range"):
        _import(tmp_path, source[0] / "mouse.blend", bad)
    bad = dict(SPEC, skeleton=[["snout", "ghost"]])
    with pytest.raises(SimgenError, match="'ghost', which is not a keypoint"):
        _import(tmp_path, source[0] / "mouse.blend", bad)
    with pytest.raises(SimgenError, match="unsupported model type"):
        (tmp_path / "m.obj").write_text("v 0 0 0\n")
        _import(tmp_path, tmp_path / "m.obj")
