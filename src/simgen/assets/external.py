"""Rigged animal models from elsewhere (.blend, .glb/.gltf, .fbx) -> a simgen animal asset.

``simgen asset import MODEL --keypoints SPEC.yaml --out DIR`` reads the model's armature
in Blender, normalizes it to simgen's conventions (meters, snout toward +x, back up,
feet at z=0, centered), and writes what the bundled mouse has:

- ``DIR/<name>.glb``: the skinned mesh with its armature, transforms applied
- ``DIR/<name>.json``: ``simgen-animal/1`` (bones with rest head/tail/roll and joint
  limits, keypoints anchored to bones, provenance)
- ``DIR/keypoints.yaml``: a keypoint set (all keypoints, skeleton edges, swap pairs) for
  the scene's ``keypoints: {names: DIR/keypoints.yaml}``

The SPEC file names keypoints by a bone anchor (a point along a bone, plus an offset)
or a vertex anchor (a vertex of the body mesh; it follows the bone that weighs most on
that vertex). Joint limits are given per bone, with a default for the rest.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Union

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from simgen.bpyutil import blender_version, import_model, quiet_stdout
from simgen.choices import ANIMAL_MODEL_SUFFIXES, BoneEnd
from simgen.contract import ANIMAL_FORMAT
from simgen.errors import SimgenError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoneAnchor(_Model):
    bone: str
    at: Union[BoneEnd, Annotated[float, Field(ge=0, le=1)]] = "head"
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)  # meters, after normalization


class VertexAnchor(_Model):
    vertex: Annotated[int, Field(ge=0)]


Range = tuple[float, float]


class Limits(_Model):
    x: Range | None = None
    y: Range | None = None
    z: Range | None = None


class ImportSpec(_Model):
    """The keypoints file of ``simgen asset import``."""

    name: str = "animal"
    armature: str | None = Field(None, description="armature object; default: the only one")
    body_mesh: str | None = Field(None, description="skinned body mesh; default: the largest")
    scale: Annotated[float, Field(gt=0)] = Field(1.0, description="model units -> meters")
    yaw_deg: float = Field(0.0, description="turn about +z so the snout faces +x")
    keypoints: dict[str, Union[BoneAnchor, VertexAnchor]] = Field(min_length=1)
    skeleton: list[tuple[str, str]] = Field(default_factory=list)
    swap_pairs: list[tuple[str, str]] = Field(default_factory=list)
    limits: dict[str, Limits] = Field(
        default_factory=lambda: {"default": Limits(x=(-20, 20), y=(-20, 20), z=(-20, 20))},
        description="degrees per bone (pose-bone Euler XYZ); 'default' for unlisted bones")


def load_spec(path: Path) -> ImportSpec:
    from simgen.scene.loader import load_yaml_model

    spec = load_yaml_model(path, ImportSpec, what="keypoints file")
    names = set(spec.keypoints)
    for a, b in [*spec.skeleton, *spec.swap_pairs]:
        for n in (a, b):
            if n not in names:
                raise SimgenError(f"{path}: skeleton/swap_pairs name {n!r}, which is not a keypoint")
    return spec


def _find_objects(spec: ImportSpec, path: Path):
    import bpy

    arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    if spec.armature:
        arm = bpy.data.objects.get(spec.armature)
        if arm is None or arm.type != "ARMATURE":
            raise SimgenError(f"{path}: no armature named {spec.armature!r} (armatures: {[a.name for a in arms]})")
    elif len(arms) != 1:
        raise SimgenError(f"{path}: {len(arms)} armatures ({[a.name for a in arms]}); name one with 'armature:'")
    else:
        arm = arms[0]
    skinned = [o for o in bpy.data.objects if o.type == "MESH"
               and any(m.type == "ARMATURE" and m.object == arm for m in o.modifiers)]
    if spec.body_mesh:
        body = bpy.data.objects.get(spec.body_mesh)
        if body is None or body not in skinned:
            raise SimgenError(f"{path}: no mesh named {spec.body_mesh!r} skinned to {arm.name!r} "
                              f"(skinned meshes: {[m.name for m in skinned]})")
    elif not skinned:
        raise SimgenError(f"{path}: no mesh is skinned to the armature {arm.name!r}")
    else:
        body = max(skinned, key=lambda o: len(o.data.vertices))
    return arm, body, skinned


def _normalize(arm, meshes, spec: ImportSpec) -> None:
    """Apply scale and yaw, then center x/y and put the lowest vertex at z=0."""
    import bpy
    from mathutils import Matrix

    objs = [arm, *meshes]
    turn = Matrix.Rotation(math.radians(spec.yaw_deg), 4, "Z") @ Matrix.Scale(spec.scale, 4)
    for o in objs:
        if o.parent is None or o.parent not in objs:
            o.matrix_world = turn @ o.matrix_world
    bpy.context.view_layer.update()
    _apply_transforms(objs)
    pts = np.concatenate([np.array([m.matrix_world @ v.co for v in m.data.vertices]) for m in meshes])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    shift = Matrix.Translation((-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]))
    for o in objs:
        if o.parent is None or o.parent not in objs:
            o.matrix_world = shift @ o.matrix_world
    bpy.context.view_layer.update()
    _apply_transforms(objs)


def _apply_transforms(objs) -> None:
    import bpy

    if bpy.context.object is not None and bpy.context.object.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.object.select_all(action="DESELECT")
    for o in objs:
        o.hide_set(False)
        o.select_set(True)
    bpy.context.view_layer.objects.active = objs[0]
    bpy.ops.object.transform_apply(location=True, rotation=True, scale=True)


def _bones(arm, spec: ImportSpec) -> list[dict]:
    import bpy

    default = spec.limits.get("default", Limits())
    unknown = sorted(set(spec.limits) - {"default"} - {b.name for b in arm.data.bones})
    if unknown:
        raise SimgenError(f"limits name bones the armature lacks: {unknown}")
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    out = []
    mw = np.array(arm.matrix_world)
    for eb in arm.data.edit_bones:
        lim = spec.limits.get(eb.name, default)
        out.append({
            "name": eb.name,
            "parent": eb.parent.name if eb.parent else None,
            "head": [float(v) for v in (mw @ np.append(np.array(eb.head), 1.0))[:3]],
            "tail": [float(v) for v in (mw @ np.append(np.array(eb.tail), 1.0))[:3]],
            "roll": float(eb.roll),
            "limits": {ax: list(r) for ax, r in lim.model_dump().items() if r is not None},
        })
    bpy.ops.object.mode_set(mode="OBJECT")
    return out


def _keypoints(spec: ImportSpec, bones: list[dict], body) -> list[dict]:
    by_name = {b["name"]: b for b in bones}
    groups = {g.index: g.name for g in body.vertex_groups}
    out = []
    for name, anchor in spec.keypoints.items():
        if isinstance(anchor, BoneAnchor):
            b = by_name.get(anchor.bone)
            if b is None:
                raise SimgenError(f"keypoint {name!r}: no bone {anchor.bone!r} in the armature")
            t = {"head": 0.0, "tail": 1.0}.get(anchor.at, anchor.at)
            rest = np.array(b["head"]) + float(t) * (np.array(b["tail"]) - np.array(b["head"]))
            out.append({"name": name, "bone": b["name"], "rest": (rest + np.array(anchor.offset)).tolist()})
            continue
        verts = body.data.vertices
        if anchor.vertex >= len(verts):
            raise SimgenError(f"keypoint {name!r}: vertex {anchor.vertex} is out of range "
                              f"({body.name} has {len(verts)} vertices)")
        v = verts[anchor.vertex]
        weights = [(g.weight, groups.get(g.group)) for g in v.groups if groups.get(g.group) in by_name]
        if not weights:
            raise SimgenError(f"keypoint {name!r}: vertex {anchor.vertex} is not weighted to any bone")
        bone = max(weights)[1]
        rest = np.array(body.matrix_world @ v.co)
        out.append({"name": name, "bone": bone, "rest": [float(x) for x in rest]})
    return out


def import_rigged_model(model: Path, spec_path: Path, out: Path) -> dict:
    """Convert a rigged model + keypoints spec into an asset directory; returns the JSON."""
    import bpy

    model, out = Path(model), Path(out)
    if not model.is_file():
        raise SimgenError(f"{model}: model file not found")
    if model.suffix.lower() not in ANIMAL_MODEL_SUFFIXES:
        raise SimgenError(f"{model}: unsupported model type; use one of {' '.join(ANIMAL_MODEL_SUFFIXES)}")
    spec = load_spec(spec_path)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    import_model(model)
    arm, body, meshes = _find_objects(spec, model)
    _normalize(arm, meshes, spec)
    bones = _bones(arm, spec)
    keypoints = _keypoints(spec, bones, body)
    out.mkdir(parents=True, exist_ok=True)
    glb = out / f"{spec.name}.glb"
    bpy.ops.object.select_all(action="DESELECT")
    for o in [arm, *meshes]:
        o.select_set(True)
    bpy.context.view_layer.objects.active = arm
    with quiet_stdout():
        bpy.ops.export_scene.gltf(filepath=str(glb), export_format="GLB", use_selection=True,
                                  export_skins=True, export_animations=False, export_morph=False)
    doc = {
        "format": ANIMAL_FORMAT, "name": spec.name, "mesh": glb.name, "armature": arm.name,
        "body_mesh": body.name, "units": "m", "forward": "+x", "up": "+z",
        "bones": bones, "keypoints": keypoints,
        "provenance": {"builder": "simgen asset import", "source": str(model.resolve()),
                       "source_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
                       "spec": spec.model_dump(mode="json"), "blender": blender_version()},
    }
    (out / f"{spec.name}.json").write_text(json.dumps(doc, indent=1) + "\n")
    kset = {"name": spec.name, "description": f"keypoints of {model.name}",
            "keypoints": {k["name"]: k["name"] for k in keypoints},
            "skeleton": [list(e) for e in spec.skeleton], "swap_pairs": [list(p) for p in spec.swap_pairs]}
    (out / "keypoints.yaml").write_text(yaml.safe_dump(kset, sort_keys=False))
    return doc
