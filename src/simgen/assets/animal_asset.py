"""The animal-asset directory (``simgen-animal/1``): the one reader of its JSON (pure, no bpy).

An animal asset is a directory with ``<name>.json`` (format ``contract.ANIMAL_FORMAT``)
and the skinned model it names (.glb, .gltf, .fbx or .blend). The JSON lists the rest
skeleton (bone heads, tails, rolls, parents, joint limits) and the keypoints, each
anchored to a bone by a point in rest-pose world coordinates. ``"mouse"`` in a scene
means the bundled mouse (``simgen.assets.mouse.ensure_mouse()``); anything else is a
path to such a directory or to its JSON file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgen.contract import ANIMAL_FORMAT
from simgen.errors import SimgenError


@dataclass(frozen=True)
class AnimalKeypoint:
    name: str
    bone: str
    rest: tuple[float, float, float]


@dataclass(frozen=True)
class AnimalAsset:
    """The parsed JSON of an asset directory."""

    root: Path
    name: str
    mesh: Path
    armature: str
    body_mesh: str
    bones: list[dict]
    keypoints: list[AnimalKeypoint]
    doc: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the whole JSON

    @property
    def keypoint_names(self) -> list[str]:
        return [k.name for k in self.keypoints]

    def skeleton(self):
        """The rest skeleton with joint limits and keypoints (``assets.skeleton.Skeleton``)."""
        from simgen.assets.skeleton import Skeleton

        return Skeleton.from_dict(self.doc)

    @classmethod
    def load(cls, path: Path | str) -> AnimalAsset:
        """Parse ``path``: an asset directory (its one ``simgen-animal/1`` JSON) or that JSON file."""
        path = Path(path)
        if path.is_dir():
            found = [p for p in sorted(path.glob("*.json")) if _is_animal_json(p)]
            if len(found) != 1:
                raise SimgenError(f"{path}: expected one {ANIMAL_FORMAT} JSON file, found {len(found)}")
            path = found[0]
        if not path.is_file():
            raise SimgenError(f"animal asset {path}: no such file or directory")
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise SimgenError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(d, dict) or d.get("format") != ANIMAL_FORMAT:
            got = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise SimgenError(f"{path}: format {got!r} is not {ANIMAL_FORMAT!r}")
        try:
            mesh = path.parent / d["mesh"]
            kps = [AnimalKeypoint(k["name"], k["bone"], tuple(float(x) for x in k["rest"])) for k in d["keypoints"]]
            asset = cls(path.parent, d["name"], mesh, d["armature"], d["body_mesh"], list(d["bones"]), kps, d)
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
        from simgen.assets.mouse import ensure_mouse

        return Path(ensure_mouse())
    return Path(asset)


def load_animal(asset: str) -> AnimalAsset:
    """The asset a scene's ``animal.asset`` names (bundled name or path)."""
    return AnimalAsset.load(resolve_asset(asset))
