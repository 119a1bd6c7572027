"""The Blender part of the asset build: armature from a :class:`Skeleton`, skin weights,
materials, glTF export. Importing and posing a built asset is ``render.animal.AnimalRig``'s.

Everything here needs ``bpy`` (imported inside the functions). Geometry and skeleton
come in as numpy data; this module only turns them into Blender objects.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from simgen.assets import appearance
from simgen.assets.skeleton import Skeleton

HEAT_SCALE = 100.0


def new_scene() -> None:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)


def make_mesh(verts: np.ndarray, faces: np.ndarray, name: str, material_index: np.ndarray | None = None):
    import bpy

    me = bpy.data.meshes.new(name)
    me.vertices.add(len(verts))
    me.vertices.foreach_set("co", np.asarray(verts, dtype=np.float32).ravel())
    n = len(faces)
    me.loops.add(3 * n)
    me.loops.foreach_set("vertex_index", np.asarray(faces, dtype=np.int32).ravel())
    me.polygons.add(n)
    me.polygons.foreach_set("loop_start", np.arange(0, 3 * n, 3, dtype=np.int32))
    me.polygons.foreach_set("use_smooth", np.ones(n, dtype=bool))
    if material_index is not None:
        me.polygons.foreach_set("material_index", np.asarray(material_index, dtype=np.int32))
    me.update(calc_edges=True)
    me.validate()
    obj = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def make_armature(skeleton: Skeleton, name: str):
    """Armature object whose edit bones are exactly the skeleton's head/tail/roll/parent."""
    import bpy

    data = bpy.data.armatures.new(name)
    arm = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for b in skeleton.bones:
        eb = data.edit_bones.new(b.name)
        eb.head, eb.tail, eb.roll = tuple(b.head), tuple(b.tail), float(b.roll)
        if b.parent is not None:
            eb.parent = data.edit_bones[b.parent]
            eb.use_connect = bool(np.allclose(skeleton.bone(b.parent).tail, b.head, atol=1e-7))
    bpy.ops.object.mode_set(mode="OBJECT")
    for b in skeleton.bones:
        pb = arm.pose.bones[b.name]
        pb.rotation_mode = "XYZ"
        lim = b.limit_array()
        pb.lock_rotation = tuple(a not in b.limits for a in "xyz")
        # IK limits carry the joint limits inside the .blend (glTF has no field for them)
        for i, a in enumerate("xyz"):
            setattr(pb, f"use_ik_limit_{a}", a in b.limits)
            setattr(pb, f"ik_min_{a}", math.radians(min(lim[i, 0], 0.0)))
            setattr(pb, f"ik_max_{a}", math.radians(max(lim[i, 1], 0.0)))
    return arm


def make_materials(fur: str = "black") -> list:
    """The body's material slots (appearance.MATERIAL_SLOTS order), created or updated."""
    import bpy

    mats = []
    for slot, surf in appearance.surfaces(fur).items():
        name = appearance.MATERIAL_NAMES[slot]
        mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
        set_surface(mat, surf)
        mats.append(mat)
    return mats


def set_surface(mat, surf: appearance.Surface) -> None:
    """Copy an ``appearance.Surface`` onto a material: its Principled BSDF (Cycles/EEVEE)
    and its viewport color (what Workbench shows). Linked sockets are left alone."""
    rgba = (*surf.color, 1.0)
    mat.diffuse_color = rgba
    mat.roughness = surf.roughness
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None) if mat.node_tree else None
    if bsdf is None:
        return
    values = {"Base Color": rgba, "Roughness": surf.roughness, "Sheen Weight": surf.sheen,
              "Sheen Tint": (*surf.sheen_tint, 1.0), "Specular IOR Level": surf.specular}
    for name, value in values.items():
        sock = bsdf.inputs.get(name)
        if sock is not None and not sock.is_linked:
            sock.default_value = value


def skin(mesh_obj, arm_obj) -> dict[str, Any]:
    """Bone-heat automatic weights; vertices it leaves unweighted go to their nearest bone."""
    import bpy

    t = time.perf_counter()
    bpy.ops.object.select_all(action="DESELECT")
    mesh_obj.select_set(True)
    arm_obj.select_set(True)
    bpy.context.view_layer.objects.active = arm_obj
    bpy.ops.object.parent_set(type="ARMATURE_AUTO")
    heat_s = time.perf_counter() - t
    n = len(mesh_obj.data.vertices)
    total = np.zeros(n)
    for v in mesh_obj.data.vertices:
        total[v.index] = sum(g.weight for g in v.groups)
    missing = np.nonzero(total < 1e-6)[0]
    if len(missing):
        verts = np.array([mesh_obj.data.vertices[i].co[:] for i in missing])
        names, heads, tails = [], [], []
        for b in arm_obj.data.bones:
            names.append(b.name)
            heads.append(b.head_local[:])
            tails.append(b.tail_local[:])
        d = _segment_distance(verts, np.array(heads), np.array(tails))
        nearest = np.argmin(d, axis=1)
        for vi, bi in zip(missing, nearest):
            group = mesh_obj.vertex_groups.get(names[bi]) or mesh_obj.vertex_groups.new(name=names[bi])
            group.add([int(vi)], 1.0, "REPLACE")
    return {"weights": "blender bone heat (ARMATURE_AUTO)", "heat_s": round(heat_s, 2),
            "unweighted_fixed": int(len(missing)), "vertices": n}


def limit_influences(mesh_obj, limit: int = 4) -> None:
    """At most ``limit`` bones per vertex, weights summing to 1: what glTF stores, so the
    .blend and the .glb deform alike."""
    import bpy

    bpy.ops.object.select_all(action="DESELECT")
    mesh_obj.select_set(True)
    bpy.context.view_layer.objects.active = mesh_obj
    bpy.ops.object.vertex_group_limit_total(group_select_mode="ALL", limit=limit)
    bpy.ops.object.vertex_group_normalize_all(group_select_mode="ALL", lock_active=False)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(np.einsum("pbk,bk->pb", p[:, None] - a[None], ab) / np.einsum("bk,bk->b", ab, ab), 0, 1)
    closest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(p[:, None] - closest, axis=-1)


def rig_mesh(verts: np.ndarray, faces: np.ndarray, skeleton: Skeleton, out_dir: str | Path, *,
             material_index: np.ndarray | None, armature_name: str, mesh_name: str,
             save_blend: bool = True, glb_name: str = "mouse.glb") -> dict[str, Any]:
    """Build armature + skinned mesh in a fresh scene and export ``out_dir/<glb_name>``."""
    import bpy

    out_dir = Path(out_dir)
    new_scene()
    # Bone heat fails on animal-sized meshes in meters (its epsilons assume ~unit scale),
    # so skin a copy scaled up, then put the exact geometry back; vertex groups stay.
    k = HEAT_SCALE
    body = make_mesh(np.asarray(verts) * k, faces, mesh_name, material_index)
    for mat in make_materials("black"):
        body.data.materials.append(mat)
    arm = make_armature(skeleton.scaled(k), armature_name)
    report = skin(body, arm)
    body.data.vertices.foreach_set("co", np.asarray(verts, dtype=np.float32).ravel())
    body.data.update()
    limit_influences(body, 4)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for b in skeleton.bones:
        eb = arm.data.edit_bones[b.name]
        eb.head, eb.tail, eb.roll = tuple(b.head), tuple(b.tail), float(b.roll)
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.object.select_all(action="DESELECT")
    arm.select_set(True)
    body.select_set(True)
    bpy.context.view_layer.objects.active = arm
    t = time.perf_counter()
    bpy.ops.export_scene.gltf(filepath=str(out_dir / glb_name), export_format="GLB", use_selection=True,
                              export_skins=True, export_animations=False, export_morph=False)
    report["export_s"] = round(time.perf_counter() - t, 2)
    if save_blend:
        bpy.ops.wm.save_as_mainfile(filepath=str(out_dir / Path(glb_name).with_suffix(".blend")), compress=True)
    return report
