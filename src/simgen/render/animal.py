"""The rigged animal inside a Blender scene: import, pose, place, color, keypoints (bpy).

An animal asset is a directory with ``<name>.json`` (format ``simgen-animal/1``,
see the shared contract) and the skinned model it names. ``"mouse"`` means the
bundled mouse (``simgen.assets.mouse.ensure_mouse()``); anything else is a path
to such a directory or to its JSON file.

Keypoints come from the posed bones exactly as the contract defines them:
``world = armature.matrix_world @ pose_bone.matrix @ bone.matrix_local^-1 @ rest``,
so a label moves with the skin that the bone deforms.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError

ANIMAL_FORMAT = "simgen-animal/1"
# Largest allowed gap between the imported bones and the JSON's rest skeleton; a
# bigger gap means the model file and its JSON disagree (or the importer changed
# the bones), and the labels would silently drift from the rendered animal.
_REST_TOLERANCE_M = 1e-4
_REST_TOLERANCE_DEG = 0.5  # a 0.5 deg rest-axis difference moves a point 1 cm away by < 0.1 mm


@dataclass(frozen=True)
class AnimalKeypoint:
    name: str
    bone: str
    rest: tuple[float, float, float]


@dataclass(frozen=True)
class AnimalAsset:
    """The parsed ``simgen-animal/1`` JSON of an asset directory."""

    root: Path
    name: str
    mesh: Path
    armature: str
    body_mesh: str
    bones: list[dict]
    keypoints: list[AnimalKeypoint]

    @property
    def keypoint_names(self) -> list[str]:
        return [k.name for k in self.keypoints]

    @classmethod
    def load(cls, path: Path | str) -> AnimalAsset:
        path = Path(path)
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            found = [p for p in found if _is_animal_json(p)]
            if len(found) != 1:
                raise SimgenError(f"{path}: expected one {ANIMAL_FORMAT} JSON file, found {len(found)}")
            path = found[0]
        if not path.is_file():
            raise SimgenError(f"animal asset {path}: no such file or directory")
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise SimgenError(f"{path}: not valid JSON ({exc})") from None
        if d.get("format") != ANIMAL_FORMAT:
            raise SimgenError(f"{path}: format {d.get('format')!r} is not {ANIMAL_FORMAT!r}")
        try:
            mesh = path.parent / d["mesh"]
            kps = [AnimalKeypoint(k["name"], k["bone"], tuple(float(x) for x in k["rest"])) for k in d["keypoints"]]
            asset = cls(path.parent, d["name"], mesh, d["armature"], d["body_mesh"], list(d["bones"]), kps)
        except (KeyError, TypeError, ValueError) as exc:
            raise SimgenError(f"{path}: malformed animal asset ({exc!r})") from None
        if not mesh.is_file():
            raise SimgenError(f"{path}: its mesh {mesh} does not exist")
        return asset


def _is_animal_json(p: Path) -> bool:
    try:
        return json.loads(p.read_text()).get("format") == ANIMAL_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def resolve_asset(asset: str) -> Path:
    """The directory (or JSON path) of an animal asset named in a scene."""
    if asset == "mouse":
        try:
            from simgen.assets.mouse import ensure_mouse
        except ImportError as exc:  # the bundled mouse lives in simgen.assets
            raise SimgenError(f"the bundled mouse is not available ({exc})") from None
        return Path(ensure_mouse())
    return Path(asset)


class AnimalRig:
    """The imported animal: its armature, meshes and body material."""

    def __init__(self, asset: AnimalAsset, collection):
        import bpy

        self.asset = asset
        from simgen.render.blender_scene import quiet_stdout

        before = set(bpy.data.objects)
        with quiet_stdout():  # the glTF importer logs each step to stdout
            _import_model(asset.mesh)
        new = [o for o in bpy.data.objects if o not in before]
        for o in new:
            for c in list(o.users_collection):
                c.objects.unlink(o)
            collection.objects.link(o)
        arm = bpy.data.objects.get(asset.armature)
        body = bpy.data.objects.get(asset.body_mesh)
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

    def apply(self, spec: dict) -> None:
        """Pose, placement, scale and fur from a FrameSpec's ``animal``."""
        angles = (spec.get("pose") or {}).get("angles") or {}
        pbones = self.armature.pose.bones
        unknown = sorted(set(angles) - set(pbones.keys()))
        if unknown:
            raise SimgenError(f"pose names bones the armature lacks: {unknown}")
        for pb in pbones:
            a = angles.get(pb.name, (0.0, 0.0, 0.0))
            pb.rotation_euler = tuple(math.radians(float(x)) for x in a)
            pb.location = (0.0, 0.0, 0.0)
            pb.scale = (1.0, 1.0, 1.0)
        pl = spec.get("placement") or {}
        root = self._root
        root.location = (float(pl.get("x", 0.0)), float(pl.get("y", 0.0)), float(pl.get("z", 0.0)))
        root.rotation_mode = "XYZ"
        root.rotation_euler = (0.0, 0.0, math.radians(float(pl.get("yaw_deg", 0.0))))
        s = float(spec.get("scale", 1.0))
        root.scale = (s, s, s)
        fur = spec.get("fur", "black")
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


def _import_model(path: Path) -> None:
    import bpy

    suffix = path.suffix.lower()
    if suffix in (".glb", ".gltf"):
        # BLENDER heuristic keeps the exported bone orientations, so the pose
        # angles mean what they meant in the asset builder (round trip).
        bpy.ops.import_scene.gltf(filepath=str(path), bone_heuristic="BLENDER")
    elif suffix == ".blend":
        with bpy.data.libraries.load(str(path), link=False) as (src, dst):
            dst.objects = list(src.objects)
        for o in dst.objects:
            if o is not None:
                bpy.context.scene.collection.objects.link(o)
    elif suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    else:
        raise SimgenError(f"{path}: animal models must be .glb, .gltf, .fbx or .blend")
