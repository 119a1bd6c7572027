"""Rig parts in a Blender scene: primitives and imported models, placed and colored (bpy).

A rig part is one entry of a FrameSpec's ``rig`` list and one instance id in the
masks. ``asset`` is a primitive name (``simgen.render.primitives``) or a path to
a model (``choices.RigModelSuffix``), imported by ``bpyutil.import_model`` (OBJ and
glTF are converted from Y-up to Z-up; STL and PLY are taken as Z-up) in the file's
units; use ``scale`` for millimeter files. A ``material`` replaces the model's own
materials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from simgen.choices import RIG_MODEL_SUFFIXES
from simgen.errors import SimgenError
from simgen.render.primitives import PRIMITIVES
from simgen.sampling.spec import RigSpec


@dataclass
class RigPart:
    name: str
    asset: str
    mask_id: int
    root: object  # bpy Object that carries the placement
    meshes: list = field(default_factory=list)  # bpy mesh Objects (mask id, material)
    material: object | None = None
    size: tuple[float, ...] | None = None


def build_part(spec: RigSpec, mask_id: int, collection) -> RigPart:
    import bpy

    from simgen.render.materials import make_material

    name, asset = spec.name, str(spec.asset)
    if asset in PRIMITIVES:
        obj = bpy.data.objects.new(f"rig:{name}", bpy.data.meshes.new(f"rig:{name}"))
        collection.objects.link(obj)
        part = RigPart(name, asset, mask_id, obj, [obj])
    else:
        path = Path(asset)
        if path.suffix.lower() not in RIG_MODEL_SUFFIXES:
            raise SimgenError(
                f"rig part {name!r}: asset {asset!r} is neither a primitive "
                f"({', '.join(PRIMITIVES)}) nor a model file ({', '.join(RIG_MODEL_SUFFIXES)})"
            )
        if not path.is_file():
            raise SimgenError(f"rig part {name!r}: model {path} does not exist")
        root = bpy.data.objects.new(f"rig:{name}", None)
        collection.objects.link(root)
        imported = _import(path, collection)
        for o in imported:
            if o.parent is None:
                o.parent = root
        meshes = [o for o in imported if o.type == "MESH"]
        if not meshes:
            raise SimgenError(f"rig part {name!r}: {path} holds no mesh")
        part = RigPart(name, asset, mask_id, root, meshes)
    for o in part.meshes:
        o.color = (mask_id / 255.0, 0.0, 0.0, 1.0)  # read back by the Workbench mask pass
    # every FrameSpec rig part has a material (the schema's default when the scene gives none)
    part.material = make_material(f"rig:{name}")
    for o in part.meshes:
        o.data.materials.clear()
        o.data.materials.append(part.material)
    return part


def apply_part(part: RigPart, spec: RigSpec) -> None:
    """Placement, primitive size and material of one frame."""
    from simgen.render.materials import set_material

    if spec.name != part.name or str(spec.asset) != part.asset:
        raise SimgenError(f"rig part {part.name!r} changed its name or asset between frames")
    root = part.root
    root.location = tuple(float(v) for v in spec.position)
    root.rotation_mode = "XYZ"
    root.rotation_euler = tuple(math.radians(float(v)) for v in spec.rotation_deg)
    root.scale = tuple(float(v) for v in spec.scale)
    if part.asset in PRIMITIVES:
        size = tuple(float(v) for v in spec.size or (1.0, 1.0, 1.0))
        if size != part.size:
            _set_geometry(root, PRIMITIVES[part.asset](size))
            part.size = size
    mat = spec.material
    set_material(part.material, mat.color, mat.roughness, mat.texture)


def _set_geometry(obj, mesh) -> None:
    import bpy

    verts, faces = mesh
    old = obj.data
    new = bpy.data.meshes.new(old.name)
    new.from_pydata([tuple(v) for v in verts.tolist()], [], [tuple(f) for f in faces])
    new.validate()
    new.update()
    for m in old.materials:
        new.materials.append(m)
    obj.data = new
    bpy.data.meshes.remove(old)


def _import(path: Path, collection) -> list:
    """Import a model file; returns its new mesh and empty objects (cameras and lights
    belong to the scene file, not the rig, and are removed)."""
    import bpy

    from simgen.bpyutil import import_model

    new = import_model(path, collection)
    for o in list(new):
        if o.type not in {"MESH", "EMPTY"}:
            new.remove(o)
            bpy.data.objects.remove(o)
    return new
