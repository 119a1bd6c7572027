"""The bundled default mouse: its skeleton (pure numpy), its build, and the asset cache.

:func:`default_skeleton` gives bones, joint limits and keypoints without Blender and
without building the mesh (the sampler uses it). :func:`build_mouse` runs the whole
path: phantom CT volume -> :mod:`simgen.assets.ct` mesh -> :mod:`simgen.assets.rigging`
(bpy) -> ``mouse.glb`` + ``mouse.json``. :func:`ensure_mouse` returns a cached build
keyed by the builder's inputs, building it once (in a child process, so a caller's
Blender session is never reset).

Bone axes: every bone is rolled so its local X axis points to the animal's left (+y),
so ``rx`` is always a pitch about the left-right axis (positive: a forward-pointing
bone's tip goes down, a downward leg bone's tip goes back, the tail's tip goes up),
and a left bone's angles mirror to its right twin as ``(rx, -ry, -rz)``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from simgen.assets import phantom
from simgen.assets.skeleton import Bone, Keypoint, Skeleton, roll_for_x_axis
from simgen.bpyutil import blender_version
from simgen.contract import ANIMAL_FORMAT, N_TAIL_BONES
from simgen.errors import SimgenError

ARMATURE_NAME = "mouse_armature"
BODY_MESH_NAME = "mouse_body"
BUILDER = "simgen.assets.mouse.build_mouse"
DEFAULT_VOXEL_MM = 0.3
DEFAULT_FACES = 30000

KEYPOINT_NAMES = [
    "snout", "left_eye", "right_eye", "left_ear_base", "left_ear_tip", "right_ear_base", "right_ear_tip",
    "head", "neck", "withers", "mid_back", "lower_back", "tail_base", "tail_q1", "tail_mid", "tail_q3",
    "tail_tip", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_forepaw", "right_forepaw", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_hindpaw", "right_hindpaw",
]

N_TAIL = N_TAIL_BONES
LEFT = np.array([0.0, 1.0, 0.0])

# (bone, parent, head landmark, tail landmark, limits in degrees per local axis)
_SPINE = {"x": (-25, 30), "y": (-15, 15), "z": (-30, 30)}
_BONES: list[tuple[str, str | None, str, str, dict[str, tuple[float, float]]]] = [
    ("spine_0", None, "pelvis", "lumbar", {"x": (-65, 25), "y": (-15, 15), "z": (-30, 30)}),
    ("spine_1", "spine_0", "lumbar", "thorax", _SPINE),
    ("spine_2", "spine_1", "thorax", "withers", _SPINE),
    ("spine_3", "spine_2", "withers", "neck_base", _SPINE),
    ("neck", "spine_3", "neck_base", "skull_base", {"x": (-40, 45), "y": (-25, 25), "z": (-45, 45)}),
    ("head", "neck", "skull_base", "snout", {"x": (-45, 45), "y": (-30, 30), "z": (-40, 40)}),
    ("jaw", "head", "jaw_hinge", "chin", {"x": (0, 25)}),
]
for _s in ("l", "r"):
    _BONES += [
        (f"ear_{_s}", "head", f"ear_base_{_s}", f"ear_tip_{_s}", {"x": (-35, 35), "z": (-30, 30)}),
        (f"scapula_{_s}", "spine_2", f"scapula_{_s}", f"shoulder_{_s}", {"x": (-25, 25), "z": (-10, 10)}),
        (f"humerus_{_s}", f"scapula_{_s}", f"shoulder_{_s}", f"elbow_{_s}", {"x": (-80, 70), "y": (-20, 20), "z": (-30, 30)}),
        (f"forearm_{_s}", f"humerus_{_s}", f"elbow_{_s}", f"wrist_{_s}", {"x": (-120, 30), "y": (-10, 10)}),
        (f"paw_{_s}", f"forearm_{_s}", f"wrist_{_s}", f"forepaw_tip_{_s}", {"x": (-70, 70), "z": (-20, 20)}),
        (f"femur_{_s}", "spine_0", f"hip_{_s}", f"knee_{_s}", {"x": (-70, 80), "y": (-20, 20), "z": (-30, 30)}),
        (f"tibia_{_s}", f"femur_{_s}", f"knee_{_s}", f"ankle_{_s}", {"x": (-40, 110), "y": (-10, 10)}),
        (f"foot_{_s}", f"tibia_{_s}", f"ankle_{_s}", f"hindpaw_tip_{_s}", {"x": (-50, 80), "z": (-20, 20)}),
    ]
TAIL_LIMITS = {"x": (-30, 30), "z": (-35, 35)}
TAIL_BONES = [f"tail_{i}" for i in range(N_TAIL)]


@functools.lru_cache(maxsize=1)
def _default_skeleton() -> Skeleton:
    mm = phantom.MM
    bones: list[Bone] = []

    def add(name, parent, head, tail, limits):
        head, tail = np.asarray(head, float) * mm, np.asarray(tail, float) * mm
        bones.append(Bone(name, parent, head, tail, roll_for_x_axis(head, tail, LEFT),
                          {a: (float(lo), float(hi)) for a, (lo, hi) in limits.items()}))

    for name, parent, h, t, lim in _BONES:
        add(name, parent, phantom.landmark(h), phantom.landmark(t), lim)
    for i in range(N_TAIL):
        add(f"tail_{i}", "spine_0" if i == 0 else f"tail_{i - 1}", phantom.TAIL[i], phantom.TAIL[i + 1],
            {"x": (-45, 40), "z": (-35, 35)} if i == 0 else TAIL_LIMITS)
    # parents must precede children: order the list as a depth-first walk from the root
    order: list[Bone] = []
    by_parent: dict[str | None, list[Bone]] = {}
    for b in bones:
        by_parent.setdefault(b.parent, []).append(b)

    def walk(parent):
        for b in by_parent.get(parent, []):
            order.append(b)
            walk(b.name)

    walk(None)

    prims = phantom.body_prims()
    eyes = phantom.eye_surface_points(prims)
    L = phantom.landmark
    pts: dict[str, tuple[str, np.ndarray]] = {
        "snout": ("head", L("snout")),
        "left_eye": ("head", eyes["l"]), "right_eye": ("head", eyes["r"]),
        "head": ("head", phantom.dorsal_point(prims, 33.0)),
        "neck": ("neck", phantom.dorsal_point(prims, 25.0)),
        "withers": ("spine_3", phantom.dorsal_point(prims, 14.0)),
        "mid_back": ("spine_1", phantom.dorsal_point(prims, -10.0)),
        "lower_back": ("spine_0", phantom.dorsal_point(prims, -30.0)),
        "tail_base": ("tail_0", phantom.TAIL[0]),
        "tail_q1": ("tail_3", phantom.TAIL[N_TAIL // 4]),
        "tail_mid": ("tail_6", phantom.TAIL[N_TAIL // 2]),
        "tail_q3": ("tail_9", phantom.TAIL[3 * N_TAIL // 4]),
        "tail_tip": (f"tail_{N_TAIL - 1}", phantom.TAIL[-1]),
    }
    for side, s in (("left", "l"), ("right", "r")):
        pts.update({
            f"{side}_ear_base": (f"ear_{s}", L(f"ear_base_{s}")),
            f"{side}_ear_tip": (f"ear_{s}", L(f"ear_tip_{s}")),
            f"{side}_shoulder": (f"humerus_{s}", L(f"shoulder_{s}")),
            f"{side}_elbow": (f"forearm_{s}", L(f"elbow_{s}")),
            f"{side}_wrist": (f"paw_{s}", L(f"wrist_{s}")),
            f"{side}_forepaw": (f"paw_{s}", 0.5 * (L(f"wrist_{s}") + L(f"forepaw_tip_{s}"))),
            f"{side}_hip": (f"femur_{s}", L(f"hip_{s}")),
            f"{side}_knee": (f"tibia_{s}", L(f"knee_{s}")),
            f"{side}_ankle": (f"foot_{s}", L(f"ankle_{s}")),
            f"{side}_hindpaw": (f"foot_{s}", 0.4 * L(f"ankle_{s}") + 0.6 * L(f"hindpaw_tip_{s}")),
        })
    kps = [Keypoint(n, pts[n][0], np.asarray(pts[n][1], float) * mm) for n in KEYPOINT_NAMES]
    return Skeleton(order, kps)


def default_skeleton() -> Skeleton:
    """The bundled mouse's bones, limits and keypoints (pure numpy; same data as mouse.json)."""
    return copy.deepcopy(_default_skeleton())


# ---------------------------------------------------------------- build + cache
_BUILDER_MODULES = ("ct.py", "phantom.py", "skeleton.py", "mouse.py", "rigging.py", "appearance.py")


def builder_inputs(voxel_mm: float = DEFAULT_VOXEL_MM, faces: int = DEFAULT_FACES) -> dict[str, Any]:
    """Everything the build depends on: parameters and the builder's source code."""
    here = Path(__file__).resolve().parent
    src = hashlib.sha256()
    for name in _BUILDER_MODULES:
        src.update(name.encode())
        src.update((here / name).read_bytes())
    return {"builder": BUILDER, "phantom_version": phantom.PHANTOM_VERSION, "voxel_mm": float(voxel_mm),
            "faces": int(faces), "source_sha256": src.hexdigest(), "blender": blender_version()}


def inputs_sha256(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def build_mouse(out_dir: str | Path, voxel_mm: float = DEFAULT_VOXEL_MM, faces: int = DEFAULT_FACES,
                save_blend: bool = True) -> dict[str, Any]:
    """Phantom CT -> mesh -> rigged mouse in ``out_dir`` (mouse.glb, mouse.json). Returns a report."""
    import simgen
    from simgen.assets import appearance, ct, rigging

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    vol = phantom.phantom_volume(voxel_mm)
    timings["phantom_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    mesh, report = ct.volume_to_mesh(vol, phantom.SKIN_THRESHOLD_HU, faces=faces)
    timings["mesh_s"] = time.perf_counter() - t
    if not report.watertight:
        raise SimgenError("phantom mesh is not watertight; the CT -> mesh path broke (report: "
                          f"{report.to_dict()})")
    prims = phantom.body_prims()
    centroids = mesh.triangles_center
    _, face_mats = phantom.surface_labels(prims, centroids)
    material_index = np.array([appearance.MATERIAL_SLOTS.index(m) for m in face_mats], dtype=np.int32)
    skel = default_skeleton()
    t = time.perf_counter()
    rig = rigging.rig_mesh(np.asarray(mesh.vertices), np.asarray(mesh.faces), skel, out,
                           material_index=material_index, armature_name=ARMATURE_NAME,
                           mesh_name=BODY_MESH_NAME, save_blend=save_blend)
    timings["rig_s"] = time.perf_counter() - t
    inputs = builder_inputs(voxel_mm, faces)
    doc = {
        "format": ANIMAL_FORMAT, "name": "mouse", "mesh": "mouse.glb", "armature": ARMATURE_NAME,
        "body_mesh": BODY_MESH_NAME, "units": "m", "forward": "+x", "up": "+z",
        **skel.to_dict(),
        "provenance": {"builder": BUILDER, "inputs_sha256": inputs_sha256(inputs), "simgen": simgen.__version__,
                       "blender": inputs["blender"], "inputs": inputs, "mesh": report.to_dict(),
                       "rig": rig, "materials": list(appearance.MATERIAL_NAMES.values())},
    }
    timings["total_s"] = time.perf_counter() - t0
    doc["provenance"]["timings"] = {k: round(v, 2) for k, v in timings.items()}
    (out / "mouse.json").write_text(json.dumps(doc, indent=1))
    return doc


def cache_root() -> Path:
    base = os.environ.get("SIMGEN_CACHE")
    return Path(base) if base else Path.home() / ".cache" / "simgen"


def ensure_mouse(cache_dir: str | Path | None = None) -> Path:
    """A directory with mouse.glb + mouse.json for the current builder, built on first use."""
    inputs = builder_inputs()
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "assets"
    target = root / f"mouse-{inputs_sha256(inputs)[:16]}"
    if (target / "mouse.json").is_file() and (target / "mouse.glb").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mouse-build-", dir=root))
    try:
        # a child process: bpy state is process-global and the caller may be using it
        code = f"from simgen.assets.mouse import build_mouse; build_mouse({str(tmp)!r})"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if proc.returncode != 0 or not (tmp / "mouse.json").is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise SimgenError("building the bundled mouse failed: " + " | ".join(tail))
        try:
            tmp.rename(target)  # atomic: a concurrent builder that got there first wins
        except OSError:
            if not (target / "mouse.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
