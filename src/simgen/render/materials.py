"""Blender materials for rig parts: one Principled BSDF per material (bpy).

A material is built once with every node it may need (an image texture
multiplied into the base color) and updated per frame by value, so a frame
never rebuilds node trees.
"""

from __future__ import annotations

from pathlib import Path

from simgen.errors import SimgenError


def make_material(name: str):
    """A material with Principled BSDF, a multiply node and an (unused) image node."""
    import bpy

    mat = bpy.data.materials.new(name)
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.name = "bsdf"
    mix = nt.nodes.new("ShaderNodeMix")
    mix.name = "tint"
    mix.data_type = "RGBA"
    mix.blend_type = "MULTIPLY"
    mix.inputs["Factor"].default_value = 1.0
    tex = nt.nodes.new("ShaderNodeTexImage")
    tex.name = "texture"
    coord = nt.nodes.new("ShaderNodeTexCoord")
    # Generated coordinates span the object's bounding box, so primitives without
    # UVs still get a texture stretched once over them.
    nt.links.new(coord.outputs["Generated"], tex.inputs["Vector"])
    nt.links.new(mix.outputs["Result"], bsdf.inputs["Base Color"])
    nt.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    mat["simgen_texture"] = ""
    return mat


def set_material(mat, color, roughness: float, texture: str | Path | None = None) -> None:
    """Set base color (linear RGB), roughness and an optional image texture."""
    import bpy

    nt = mat.node_tree
    bsdf, mix, tex = nt.nodes["bsdf"], nt.nodes["tint"], nt.nodes["texture"]
    rgba = (*(float(c) for c in color), 1.0)
    bsdf.inputs["Roughness"].default_value = float(roughness)
    mat.diffuse_color = rgba  # what Workbench shows with color_type MATERIAL
    tex_path = "" if texture is None else str(Path(texture).resolve())
    if tex_path != mat["simgen_texture"]:
        if tex_path:
            if not Path(tex_path).is_file():
                raise SimgenError(f"texture {tex_path}: no such file")
            tex.image = bpy.data.images.load(tex_path, check_existing=True)
            if not tex.outputs["Color"].is_linked:
                nt.links.new(tex.outputs["Color"], _rgba_inputs(mix)[0])
        else:
            for lk in list(nt.links):
                if lk.from_node == tex:
                    nt.links.remove(lk)
        mat["simgen_texture"] = tex_path
    a, b = _rgba_inputs(mix)
    if not tex_path:
        a.default_value = (1.0, 1.0, 1.0, 1.0)
    b.default_value = rgba


def _rgba_inputs(mix):
    """The two color inputs of a Mix node in RGBA mode (the node has one A/B per data type)."""
    socks = [s for s in mix.inputs if s.type == "RGBA"]
    return socks[0], socks[1]
