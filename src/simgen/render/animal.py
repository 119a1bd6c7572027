"""The rigged animal inside a Blender scene: import, pose, place, color, keypoints (bpy).

The one Blender path for an animal: renders and the asset build's tests both pose the
model through :class:`AnimalRig`. The asset's JSON is read by
``simgen.assets.animal_asset`` (no bpy).

Keypoints come from the posed bones exactly as the contract defines them:
``world = armature.matrix_world @ pose_bone.matrix @ bone.matrix_local^-1 @ rest``,
so a label moves with the skin that the bone deforms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from simgen.assets.animal_asset import AnimalAsset
from simgen.errors import SimgenError
from simgen.sampling.spec import AnimalSpec

# Largest allowed gap between the imported bones and the JSON's rest skeleton; a
# bigger gap means the model file and its JSON disagree (or the importer changed
# the bones), and the labels would silently drift from the rendered animal.
_REST_TOLERANCE_M = 1e-4
_REST_TOLERANCE_DEG = 0.5  # a 0.5 deg rest-axis difference moves a point 1 cm away by < 0.1 mm


def _is_tail(bone: str) -> bool:
    return bone.startswith("tail")


def _own(objects, name: str):
    """The object called ``name`` among ``objects``, allowing Blender's ``.001`` suffix."""
    import re

    exact = [o for o in objects if o.name == name]
    if exact:
        return exact[0]
    renamed = [o for o in objects if re.fullmatch(re.escape(name) + r"\.\d{3,}", o.name)]
    return renamed[0] if renamed else None


def _shared(material) -> bool:
    """A fur or skin material (the ones recolored per frame)."""
    name = material.name.lower()
    return "fur" in name or "skin" in name


class AnimalRig:
    """The imported animal: its armature, meshes and body material."""

    def __init__(self, asset: AnimalAsset, collection):
        import bpy

        from simgen.bpyutil import import_model

        self.asset = asset
        new = import_model(asset.mesh, collection)
        # The rig's own objects among those just imported: a second animal of the same asset comes
        # in renamed by Blender (mouse_armature.001), so a global name lookup would find the first.
        arm = _own(new, asset.armature)
        body = _own(new, asset.body_mesh)
        if arm is None or arm.type != "ARMATURE":
            raise SimgenError(f"{asset.mesh}: no armature object named {asset.armature!r}")
        if body is None or body.type != "MESH":
            raise SimgenError(f"{asset.mesh}: no mesh object named {asset.body_mesh!r}")
        # The glTF importer adds a bone-display shape object (an icosphere) to the
        # scene; it is not part of the animal and must not render.
        shapes = {pb.custom_shape for pb in arm.pose.bones if pb.custom_shape is not None}
        for pb in arm.pose.bones:
            pb.custom_shape = None
        keep = []
        for o in new:  # importers may also bring cameras or lights; the scene owns those
            if o in shapes or o.type not in {"MESH", "ARMATURE", "EMPTY"}:
                bpy.data.objects.remove(o)
            else:
                keep.append(o)
        self.armature = arm
        self.body = body
        self.meshes = [o for o in keep if o.type == "MESH"]
        self._check_rest()
        # The asset's own materials stay (eyes); the fur and skin materials are recolored
        # per frame. An asset without fur gets a single fur material on its body.
        for o in self.meshes:  # materials of its own: recoloring one animal must not recolor another
            for i, m in enumerate(o.data.materials):
                if m is not None and m.users > 1 and _shared(m):
                    o.data.materials[i] = m.copy()
        self.fur_materials = [m for m in body.data.materials if m is not None and "fur" in m.name.lower()]
        self.skin_materials = [m for m in body.data.materials if m is not None and "skin" in m.name.lower()]
        if not self.fur_materials:
            mat = bpy.data.materials.new("fur")  # a new material holds a Principled BSDF
            body.data.materials.clear()
            body.data.materials.append(mat)
            self.fur_materials = [mat]
        # Pose bones are posed by Euler XYZ angles relative to rest (contract).
        for pb in arm.pose.bones:
            pb.rotation_mode = "XYZ"
        self._kp_bones = [k.bone for k in asset.keypoints]
        missing = sorted({b for b in self._kp_bones if b not in arm.pose.bones})
        if missing:
            raise SimgenError(f"{asset.mesh}: keypoints name bones the armature lacks: {missing}")
        self._kp_rest = np.array([k.rest for k in asset.keypoints], float)
        # Shape factors are pose-bone scales, so keypoints follow them exactly. Bones
        # ignore their parent's scale (a wider rump does not widen the legs or tail),
        # except along the tail, where each bone takes its parent's thickness.
        tail = [b.name for b in arm.data.bones if _is_tail(b.name)]
        self._tail_root = [n for n in tail if arm.data.bones[n].parent is None
                           or not _is_tail(arm.data.bones[n].parent.name)]
        self._shaped_inherit = {b.name: "ALIGNED" if b.name in tail and b.name not in self._tail_root else "NONE"
                                for b in arm.data.bones}
        self._plain_inherit = {b.name: b.inherit_scale for b in arm.data.bones}
        self._shaped = False
        self._trunk = [b.name for b in arm.data.bones if b.name.startswith("spine")]
        self._ears = [b.name for b in arm.data.bones if b.name.startswith("ear")]
        # the placement's root: the armature object (meshes are its children)
        self._root = arm
        while self._root.parent is not None:
            self._root = self._root.parent
        self._fur: str | None = None

    def _check_rest(self) -> None:
        """The imported bones must be the JSON's: same heads, same rest orientation.

        Tails are not compared: glTF stores no bone lengths, so the importer guesses
        leaf lengths; a bone's rest matrix (what posing and keypoints use) depends
        only on its head, direction and roll.
        """
        import bpy
        from mathutils import Vector

        bones = self.armature.data.bones
        worst_m, worst_deg, where = 0.0, 0.0, ""
        for b in self.asset.bones:
            bone = bones.get(b["name"])
            if bone is None:
                raise SimgenError(f"{self.asset.mesh}: bone {b['name']!r} of the JSON is not in the model")
            head = np.asarray(b["head"], float)
            gap = float(np.abs(np.array(bone.head_local) - head).max())
            axis = Vector(tuple(np.asarray(b["tail"], float) - head)).normalized()
            want = np.array(bpy.types.Bone.MatrixFromAxisRoll(axis, float(b.get("roll", 0.0))))
            got = np.array(bone.matrix_local.to_3x3())
            cos = np.clip((np.trace(want.T @ got) - 1) / 2, -1.0, 1.0)
            deg = float(np.degrees(np.arccos(cos)))
            if gap > worst_m or deg > worst_deg:
                where = b["name"]
            worst_m, worst_deg = max(worst_m, gap), max(worst_deg, deg)
        if worst_m > _REST_TOLERANCE_M or worst_deg > _REST_TOLERANCE_DEG:
            raise SimgenError(
                f"{self.asset.mesh}: imported bone {where!r} is {worst_m * 1000:.2f} mm / {worst_deg:.2f} deg "
                "off the JSON's rest skeleton; the pose angles would not mean what they say (rebuild the asset)"
            )

    @property
    def keypoint_names(self) -> list[str]:
        return self.asset.keypoint_names

    def apply(self, spec: AnimalSpec) -> None:
        """Pose, shape, placement, scale and fur from a FrameSpec's ``animal``."""
        self.pose(spec.pose.angles)
        if spec.shape is not None:
            self.set_shape(spec.shape.girth, spec.shape.tail, spec.shape.ears, spec.shape.tail_length)
        else:
            self._use_shaped_inherit(False)
        pl = spec.placement
        root = self._root
        root.location = (float(pl.x), float(pl.y), float(pl.z))
        root.rotation_mode = "XYZ"
        root.rotation_euler = (0.0, 0.0, math.radians(float(pl.yaw_deg)))
        s = float(spec.scale)
        root.scale = (s, s, s)
        self.set_fur(spec.fur)

    def pose(self, angles: Mapping[str, Sequence[float]]) -> None:
        """Every pose bone's Euler XYZ rotation (degrees; bones not named stay at rest)."""
        pbones = self.armature.pose.bones
        unknown = sorted(set(angles) - set(pbones.keys()))
        if unknown:
            raise SimgenError(f"pose names bones the armature lacks: {unknown}")
        for pb in pbones:
            a = angles.get(pb.name, (0.0, 0.0, 0.0))
            pb.rotation_euler = tuple(math.radians(float(x)) for x in a)
            pb.location = (0.0, 0.0, 0.0)
            pb.scale = (1.0, 1.0, 1.0)

    def set_shape(self, girth: float, tail: float, ears: float, tail_length: float = 1.0) -> None:
        """Trunk width, tail thickness, ear size and tail length factors (call after ``pose``,
        which resets them). Bone-local x is across the body (the rig's roll), y along the
        bone; the tail's bones inherit the root's scale aligned, so the whole tail scales."""
        for factor, bones, what in ((girth, self._trunk, "girth needs bones named spine*"),
                                    (tail, self._tail_root, "tail needs bones named tail*"),
                                    (tail_length, self._tail_root, "tail_length needs bones named tail*"),
                                    (ears, self._ears, "ears needs bones named ear*")):
            if factor != 1.0 and not bones:
                raise SimgenError(f"{self.asset.mesh}: animal.shape.{what}; this rig has none")
        self._use_shaped_inherit(True)
        pbones = self.armature.pose.bones
        for n in self._trunk:
            pbones[n].scale = (girth, 1.0, 1.0)
        for n in self._tail_root:
            pbones[n].scale = (tail, tail_length, tail)
        for n in self._ears:
            pbones[n].scale = (ears, ears, ears)

    def _use_shaped_inherit(self, shaped: bool) -> None:
        """Bones' scale inheritance for shaped frames, or the asset's own otherwise (Blender's
        matrices differ in the last bits between the two even at unit scale, so an unshaped
        frame's labels do not depend on the frames rendered before it)."""
        if shaped != self._shaped:
            modes = self._shaped_inherit if shaped else self._plain_inherit
            for b in self.armature.data.bones:
                b.inherit_scale = modes[b.name]
            self._shaped = shaped

    def set_fur(self, fur: str) -> None:
        """Fur and skin colors of a ``choices.Fur`` name (materials are touched only on change)."""
        if fur != self._fur:
            from simgen.assets.appearance import surfaces
            from simgen.assets.rigging import set_surface

            surface = surfaces(fur)
            for mat in self.fur_materials:
                set_surface(mat, surface["fur"])
            for mat in self.skin_materials:
                set_surface(mat, surface["skin"])
            self._fur = fur

    def keypoints_world(self) -> np.ndarray:
        """(N, 3) world positions of the asset's keypoints for the current pose.

        Call after ``view_layer.update()``.
        """
        arm = self.armature
        mw = np.array(arm.matrix_world)
        out = np.empty((len(self._kp_bones), 3))
        cache: dict[str, np.ndarray] = {}
        for i, (bone, rest) in enumerate(zip(self._kp_bones, self._kp_rest)):
            m = cache.get(bone)
            if m is None:
                pb = arm.pose.bones[bone]
                m = mw @ np.array(pb.matrix) @ np.linalg.inv(np.array(pb.bone.matrix_local))
                cache[bone] = m
            out[i] = (m @ np.append(rest, 1.0))[:3]
        return out
