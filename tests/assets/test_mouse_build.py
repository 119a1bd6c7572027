"""The bundled mouse built from scratch through the CLI, then checked in Blender."""

import json
import time

import numpy as np
import pytest

from simgen.assets import poses
from simgen.assets.animal_asset import AnimalAsset
from simgen.assets.mouse import KEYPOINT_NAMES, default_skeleton, ensure_mouse
from simgen.contract import ANIMAL_FORMAT

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from typer.testing import CliRunner

    from simgen.commands.asset import app

    out = tmp_path_factory.mktemp("mouse")
    t = time.perf_counter()
    res = CliRunner().invoke(app, ["mouse", "--out", str(out)])
    seconds = time.perf_counter() - t
    assert res.exit_code == 0, res.output
    return out, seconds


@pytest.fixture(scope="module")
def imported(built):
    """The built mouse imported the way renders import it (render.animal.AnimalRig)."""
    import bpy

    from simgen.assets import rigging
    from simgen.assets.animal_asset import AnimalAsset
    from simgen.render.animal import AnimalRig

    rigging.new_scene()
    return AnimalRig(AnimalAsset.load(built[0]), bpy.context.scene.collection)


def _pose(rig, angles):
    import bpy

    rig.pose(angles)
    bpy.context.view_layer.update()


def test_build_is_fast_and_complete(built):
    out, seconds = built
    assert seconds < 120  # the budget on a 2-core machine
    doc = json.loads((out / "mouse.json").read_text())
    assert doc["format"] == ANIMAL_FORMAT and doc["name"] == "mouse"
    assert (doc["mesh"], doc["armature"], doc["body_mesh"]) == ("mouse.glb", "mouse_armature", "mouse_body")
    assert (doc["units"], doc["forward"], doc["up"]) == ("m", "+x", "+z")
    assert [k["name"] for k in doc["keypoints"]] == KEYPOINT_NAMES
    assert {"builder", "inputs_sha256", "simgen", "blender"} <= set(doc["provenance"])
    mesh = doc["provenance"]["mesh"]
    assert mesh["watertight"] and 5000 <= mesh["faces"] <= 60000
    assert doc["provenance"]["rig"]["unweighted_fixed"] == 0  # bone heat weighted every vertex
    # mouse.json carries exactly the pure-numpy skeleton the sampler uses
    assert doc["bones"] == default_skeleton().to_dict()["bones"]
    assert doc["keypoints"] == default_skeleton().to_dict()["keypoints"]
    skel = AnimalAsset.load(out).skeleton()
    np.testing.assert_array_equal(skel.keypoints_rest(), default_skeleton().keypoints_rest())


def test_glb_has_armature_skin_and_materials(imported):
    import bpy

    arm, body = imported.armature, imported.body
    assert arm.name == "mouse_armature" and body.name == "mouse_body"
    assert len(arm.data.bones) == len(default_skeleton().bones)
    assert [m.object for m in body.modifiers if m.type == "ARMATURE"] == [arm]  # skinned to this armature
    assert {"mouse_fur", "mouse_skin", "mouse_eye"} <= {m.name for m in body.data.materials if m}
    groups = {g.name for g in body.vertex_groups}
    assert {"head", "tail_11", "foot_l", "paw_r"} <= groups
    # the importer's bone-display shape is gone: only the armature and the body remain to render
    assert set(bpy.data.objects) == {arm, body} and imported.meshes == [body]


def _posed_vertices(body):
    import bpy

    dg = bpy.context.evaluated_depsgraph_get()
    ev = body.evaluated_get(dg)
    me = ev.to_mesh()
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    return co.reshape(-1, 3)


def test_blender_posed_bones_match_numpy_fk(imported):
    arm = imported.armature
    skel = default_skeleton()
    rest = skel.rest_matrices()
    for i, b in enumerate(skel.bones):
        np.testing.assert_allclose(np.array(arm.data.bones[b.name].matrix_local), rest[i], atol=2e-5)
    rng = np.random.default_rng(5)
    cases = [poses.preset_angles(skel, n, 0.3) for n in poses.PRESET_NAMES]
    cases += [poses.sample_pose(skel, "random", None, 0, rng)["angles"] for _ in range(10)]
    for angles in cases:
        _pose(imported, angles)
        np.testing.assert_allclose(imported.keypoints_world(), skel.keypoints_posed(angles), atol=2e-6)
        pm = skel.pose_matrices(angles)
        for i, b in enumerate(skel.bones):
            np.testing.assert_allclose(np.array(arm.pose.bones[b.name].matrix), pm[i], atol=2e-5)
    _pose(imported, {})


def test_posed_mesh_has_no_nan_and_follows_the_skeleton(imported):
    body = imported.body
    skel = default_skeleton()
    rest = _posed_vertices(body)
    assert np.isfinite(rest).all()
    for name in poses.PRESET_NAMES:
        angles = poses.preset_angles(skel, name, 0.3)
        _pose(imported, angles)
        v = _posed_vertices(body)
        assert np.isfinite(v).all(), name
        # the skin stays around its keypoints: every keypoint is within 6 mm of the surface
        k = skel.keypoints_posed(angles)
        d = np.sqrt(((k[:, None, :] - v[None, ::3, :]) ** 2).sum(-1)).min(axis=1)
        assert d.max() < 0.006, (name, KEYPOINT_NAMES[int(np.argmax(d))], d.max())
    _pose(imported, {})


def test_shape_factors_widen_the_trunk_thicken_the_tail_and_keep_labels_on_the_skin(imported):
    """animal.shape: girth widens the trunk across the body only, tail thickens the tail,
    ears grow the ears; keypoints stay on the skin and those that should not move do not."""
    import bpy

    body = imported.body
    skel = default_skeleton()
    names = list(KEYPOINT_NAMES)
    angles = poses.preset_angles(skel, "walk", 0.3)
    _pose(imported, angles)
    v0, k0 = _posed_vertices(body), imported.keypoints_world()
    imported.set_shape(1.4, 2.0, 1.3)
    bpy.context.view_layer.update()
    v1, k1 = _posed_vertices(body), imported.keypoints_world()
    trunk = (v0[:, 0] > -0.04) & (v0[:, 0] < 0.0)  # rump and belly, in the animal's frame (+x forward)
    width0, width1 = np.ptp(v0[trunk, 1]), np.ptp(v1[trunk, 1])
    assert 1.25 < width1 / width0 < 1.45, (width0, width1)
    assert abs(np.ptp(v1[:, 0]) - np.ptp(v0[:, 0])) < 0.002  # the length stays
    tail = (v0[:, 0] < -0.09) & (v0[:, 0] > -0.11)  # a slice of the tail, away from the body
    assert np.ptp(v1[tail, 2]) / np.ptp(v0[tail, 2]) > 1.6
    same = [names.index(n) for n in ("snout", "tail_base", "tail_tip", "left_ear_base", "withers")]
    np.testing.assert_allclose(k1[same], k0[same], atol=3e-4)
    ear = names.index("left_ear_tip")
    assert np.linalg.norm(k1[ear] - k1[names.index("left_ear_base")]) > 1.25 * np.linalg.norm(
        k0[ear] - k0[names.index("left_ear_base")])
    d = np.sqrt(((k1[:, None, :] - v1[None, ::3, :]) ** 2).sum(-1)).min(axis=1)
    assert d.max() < 0.006, (names[int(np.argmax(d))], d.max())
    _pose(imported, angles)  # pose() resets the shape too
    np.testing.assert_allclose(_posed_vertices(body), v0, atol=1e-6)
    _pose(imported, {})
    assert all(tuple(pb.scale) == (1.0, 1.0, 1.0) for pb in imported.armature.pose.bones)


def test_tail_length_shortens_the_tail_about_its_base(imported):
    """animal.shape.tail_length: the tail tip moves toward the tail base by the factor, the
    tail base and the body stay, the tail's skin goes with it."""
    import bpy

    body = imported.body
    skel = default_skeleton()
    names = list(KEYPOINT_NAMES)
    base, tip = names.index("tail_base"), names.index("tail_tip")
    angles = poses.preset_angles(skel, "walk", 0.3)
    _pose(imported, angles)
    v0, k0 = _posed_vertices(body), imported.keypoints_world()
    imported.set_shape(1.0, 1.0, 1.0, 0.3)
    bpy.context.view_layer.update()
    v1, k1 = _posed_vertices(body), imported.keypoints_world()
    np.testing.assert_allclose(k1[tip] - k1[base], 0.3 * (k0[tip] - k0[base]), atol=1e-4)
    keep = [i for i, n in enumerate(names) if not n.startswith("tail") or n == "tail_base"]
    np.testing.assert_allclose(k1[keep], k0[keep], atol=3e-4)
    # the skin: nothing reaches farther back than the short tail's tip, the body is unchanged
    back = k0[base][0]
    assert v1[:, 0].min() > k1[tip][0] - 0.004 and v0[:, 0].min() < k0[tip][0] + 0.004
    front = v0[:, 0] > back + 0.01
    np.testing.assert_allclose(v1[front], v0[front], atol=3e-4)  # the rump skin blends a little tail
    _pose(imported, {})


def test_ensure_mouse_caches(tmp_path, monkeypatch):
    first = ensure_mouse(tmp_path)
    stamp = (first / "mouse.glb").stat().st_mtime_ns
    assert ensure_mouse(tmp_path) == first and (first / "mouse.glb").stat().st_mtime_ns == stamp
    assert first.name.startswith("mouse-") and first.parent == tmp_path
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mouse-build")]
    monkeypatch.setenv("SIMGEN_CACHE", str(tmp_path / "c"))
    from simgen.assets.mouse import cache_root

    assert cache_root() == tmp_path / "c"
