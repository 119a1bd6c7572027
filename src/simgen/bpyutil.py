"""Small helpers around ``bpy`` shared by the renderer and the asset build (bpy imported lazily).

``quiet_stdout`` silences Blender's C-level printing, ``import_model`` is the one model
importer (rig parts, animals, ``asset import``), ``blender_version`` reads bpy's version
from the package metadata without importing bpy. Imports nothing from simgen except
errors and choices, so render/ and assets/ both sit above it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from simgen.choices import ANIMAL_MODEL_SUFFIXES, RIG_MODEL_SUFFIXES
from simgen.errors import SimgenError

MODEL_SUFFIXES = tuple(dict.fromkeys(RIG_MODEL_SUFFIXES + ANIMAL_MODEL_SUFFIXES))


@contextlib.contextmanager
def quiet_stdout():
    """Silence what Blender's C code prints: "Fra:"/"Saved:" lines and importer logs on fd 1,
    and the harmless software-OpenGL "EGL Error" lines on fd 2. Failures still surface:
    the operators raise RuntimeError."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def import_model(path: Path | str, collection=None) -> list:
    """Import a model file into the current scene; returns the new objects.

    .glb/.gltf keep the file's bone orientations (``bone_heuristic="BLENDER"``), so pose
    angles mean what they meant where the model was built; .blend appends every object;
    .obj and .gltf convert Y-up to Z-up, .stl and .ply are taken as Z-up; units are the
    file's. New objects are moved into ``collection`` (default: the scene's).
    """
    import bpy

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise SimgenError(f"{path}: unsupported model type; use one of {' '.join(MODEL_SUFFIXES)}")
    collection = collection if collection is not None else bpy.context.scene.collection
    p = str(path.resolve())
    before = set(bpy.data.objects)
    try:
        with quiet_stdout():  # importers log each step to stdout
            _run_importer(suffix, p, collection)
    except (RuntimeError, ValueError, OSError) as exc:  # Blender's importers raise RuntimeError
        why = " ".join(str(exc).replace("Error:", "").split())[:300]
        raise SimgenError(f"{path}: Blender cannot read this {suffix} file ({why or type(exc).__name__})") from None
    new = [o for o in bpy.data.objects if o not in before]
    for o in new:
        for c in list(o.users_collection):
            if c != collection:
                c.objects.unlink(o)
        if collection not in o.users_collection:
            collection.objects.link(o)
    return new


def _drop_gltf_log_handlers() -> None:
    """The glTF importer adds a handler on the sys.stdout and sys.stderr of the moment to its
    loggers at every import and never removes them: they pile up, and one whose stream has
    since been closed prints a logging traceback at the next import. Its lines are silenced
    anyway (``quiet_stdout``); failures reach us as the operator's RuntimeError."""
    import logging

    for name in ("glTFImporter", "glTFImporter_errors"):
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            if type(h) is logging.StreamHandler:
                logger.removeHandler(h)


def _run_importer(suffix: str, p: str, collection) -> None:
    import bpy

    if suffix in (".glb", ".gltf"):
        try:
            bpy.ops.import_scene.gltf(filepath=p, bone_heuristic="BLENDER")
        finally:
            _drop_gltf_log_handlers()
    elif suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=p)
    elif suffix == ".obj":
        bpy.ops.wm.obj_import(filepath=p)
    elif suffix == ".stl":
        bpy.ops.wm.stl_import(filepath=p)
    elif suffix == ".ply":
        bpy.ops.wm.ply_import(filepath=p)
    else:  # .blend
        with bpy.data.libraries.load(p, link=False) as (_src, dst):
            dst.objects = list(_src.objects)
        for o in dst.objects:
            if o is not None:
                collection.objects.link(o)




def drop_blender_script_paths() -> None:
    """Remove Blender's ``scripts/modules`` folders from ``sys.path``.

    Importing bpy adds them; a process spawned by a parent that imported bpy inherits
    them, and their pure-Python ``bpy`` package then shadows the real module
    (``No module named '_bpy'``). The CLI's parent no longer imports bpy (the version
    comes from the package metadata), but a script or test session that did still
    spawns workers, so render workers call this before anything imports bpy.
    """
    import re

    sys.path[:] = [p for p in sys.path if not re.search(r"[\\/]bpy[\\/]\d+\.\d+[\\/]scripts", p)]


def blender_version() -> str:
    """bpy's version from the package metadata (no bpy import), or "unknown"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bpy")
    except PackageNotFoundError:
        return "unknown"
