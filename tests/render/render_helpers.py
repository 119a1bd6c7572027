"""Tiny inputs for the render tests: real FrameSpecs and a toy rigged animal.

The toy animal is a skinned ellipsoid with two bones (body, head), written in the
``simgen-animal/1`` contract format (GLB + JSON) exactly as the bundled mouse is,
so the render code is tested without building the real mouse.
"""

from __future__ import annotations

import json
from pathlib import Path

# Toy body: ellipsoid centered at (0.005, 0, 0.015), half-axes (0.045, 0.012, 0.012).
TOY_CENTER = (0.005, 0.0, 0.015)
TOY_RADII = (0.045, 0.012, 0.012)
TOY_KEYPOINTS = {
    "snout": ("head", (0.05, 0.0, 0.015)),  # tip of the ellipsoid
    "back": ("body", (0.0, 0.0, 0.0265)),  # just under the top of the back
    "belly_point": ("body", (0.0, 0.0, 0.0005)),  # below the body, near the floor
    "tail_base": ("body", (-0.04, 0.0, 0.015)),
}


def spec(cameras, *, animal=True, rig=(), lights=None, engine="cycles", samples=8, world=(0.05, 0.05, 0.05)):
    """A real ``FrameSpec`` (validated, so a field the renderer reads cannot be missing);
    ``cameras`` and ``rig`` take dicts or specs. Tests change it by attribute."""
    from simgen.sampling.spec import FrameSpec

    if lights is None:
        lights = [dict(name="key", type="area", position=[0.1, -0.1, 0.8], look_at=[0, 0, 0],
                       energy=40.0, color=[1, 1, 1], size=0.3)]
    return FrameSpec.model_validate(dict(
        frame=0, seed=0,
        render=dict(engine=engine, device="cpu", samples=samples, denoise=False,
                    resolution=list(_field(cameras[0], "resolution")), depth=False, cycles_seed=7),
        animal=dict(asset="toy", fur="black", scale=1.0, placement=dict(x=0.0, y=0.0, z=0.0, yaw_deg=0.0),
                    pose=dict(preset="rest", angles={})) if animal else None,
        rig=list(rig), cameras=list(cameras), lights=lights,
        world=dict(color=list(world), strength=1.0), keypoints="default",
    ))


def _field(d, key):
    return d[key] if isinstance(d, dict) else getattr(d, key)


def camera(name="top", position=(0, 0, 0.5), look_at=(0, 0, 0), up=(0, 1, 0), focal_mm=35.0, sensor_mm=36.0,
           fit="auto", shift=(0.0, 0.0), resolution=(160, 120)):
    return dict(name=name, position=list(position), look_at=list(look_at), up=list(up), focal_mm=focal_mm,
                sensor_mm=sensor_mm, sensor_fit=fit, shift=list(shift), resolution=list(resolution))


def build_toy_animal(out: Path) -> Path:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    arm_data = bpy.data.armatures.new("toy_armature")
    arm = bpy.data.objects.new("toy_armature", arm_data)
    scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    body = arm_data.edit_bones.new("body")
    body.head, body.tail = (-0.04, 0.0, 0.015), (0.02, 0.0, 0.015)
    head = arm_data.edit_bones.new("head")
    head.head, head.tail = (0.02, 0.0, 0.015), (0.05, 0.0, 0.015)
    head.parent, head.use_connect = body, True
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.mesh.primitive_uv_sphere_add(segments=48, ring_count=24, radius=1.0, location=TOY_CENTER)
    mesh = bpy.context.object
    mesh.name = "toy_body"
    mesh.scale = TOY_RADII
    bpy.ops.object.transform_apply(location=False, rotation=False, scale=True)
    mesh.select_set(True)
    arm.select_set(True)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.parent_set(type="ARMATURE_AUTO")
    glb = out / "toy.glb"
    bpy.ops.export_scene.gltf(filepath=str(glb), export_format="GLB", export_skins=True, export_animations=False)
    bones = [
        {"name": b.name, "parent": b.parent.name if b.parent else None, "head": list(b.head_local),
         "tail": list(b.tail_local), "roll": 0.0, "limits": {"x": [-30, 30], "y": [-30, 30], "z": [-45, 45]}}
        for b in arm_data.bones
    ]
    doc = {"format": "simgen-animal/1", "name": "toy", "mesh": "toy.glb", "armature": "toy_armature",
           "body_mesh": "toy_body", "units": "m", "forward": "+x", "up": "+z", "bones": bones,
           "keypoints": [{"name": k, "bone": b, "rest": list(p)} for k, (b, p) in TOY_KEYPOINTS.items()],
           "provenance": {"builder": "tests/render/conftest.py"}}
    (out / "toy.json").write_text(json.dumps(doc, indent=1))
    return out


def add_emissive_markers(points, radius: float = 0.004) -> None:
    """Small self-lit spheres at ``points`` (world, m): each shows as a bright blob whose
    center is the point's exact projection (the label-exactness tests find them)."""
    import bpy

    mat = bpy.data.materials.new("marker")
    nt = mat.node_tree
    nt.nodes.clear()
    em = nt.nodes.new("ShaderNodeEmission")
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    nt.links.new(em.outputs["Emission"], out.inputs["Surface"])
    for p in points:
        bpy.ops.mesh.primitive_uv_sphere_add(radius=radius, location=tuple(p), segments=32, ring_count=16)
        bpy.context.object.data.materials.append(mat)
