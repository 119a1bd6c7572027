"""Planning a render: the dataset's metadata and the frames a run still has to render.

The main process loads the scene (presets first, then the user's ``--set``), writes
(or joins) ``dataset.json`` and works out which frames still need rendering: those
of this shard (``i, i+N, ...``) that are not complete (annotation parses, images and
masks decode). No bpy here: the worker (``render.worker``) imports Blender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simgen.errors import SimgenError


@dataclass
class RenderPlan:
    scene_path: Path
    out: Path
    overrides: list[str]
    meta: object  # DatasetMeta
    todo: list[int]  # frames this run renders
    skipped: list[int] = field(default_factory=list)  # complete already
    created: bool = False  # this plan wrote dataset.json (a new dataset)


def keypoint_set_for(names: str, animal_names: list[str]):
    """The scene's keypoint set; ``default`` is the bundled mouse's set, or every keypoint of
    an animal that lacks the mouse's (an imported model)."""
    from simgen.keypoints import KeypointSet

    ks = KeypointSet.load(names)
    if names == "default" and not ks.covers(animal_names):
        return KeypointSet.identity(animal_names, name="default")
    return ks


def animal_assets(scene) -> list:
    """The ``AnimalAsset`` of each animal of the scene (loaded once per asset), in order; several
    animals must share their keypoint names (one keypoint list per dataset)."""
    from simgen.assets.animal_asset import load_animal

    cache: dict = {}
    for _, a in scene.animal_list():
        if a.asset not in cache:
            cache[a.asset] = load_animal(a.asset)
    out = [cache[a.asset] for _, a in scene.animal_list()]
    first = out[0].keypoint_names
    for (name, a), asset in zip(scene.animal_list(), out):
        if asset.keypoint_names != first:
            raise SimgenError(f"animal {name} ({a.asset}) has other keypoints than {scene.animal_list()[0][0]}; "
                              "animals of one dataset share one keypoint list")
    return out


def build_meta(loaded, frames: int, start: int, animal):
    """``DatasetMeta`` of a run (everything constant across its frames)."""
    import simgen
    from simgen.bpyutil import blender_version
    from simgen.contract import mask_ids
    from simgen.dataset import DATASET_FORMAT, DATASET_FORMAT_MULTI, CameraInfo, DatasetMeta

    s = loaded.scene
    animals = [{"name": name, "asset": a.asset} for name, a in s.animal_list()] if s.multi else []
    ks = keypoint_set_for(s.keypoints.names, animal.keypoint_names)
    cams = [CameraInfo(c.name, *(int(v) for v in (c.resolution or s.render.resolution))) for c in s.cameras]
    return DatasetMeta(
        scene=loaded.resolved,
        scene_sha256=loaded.sha256,
        seed=s.seed,
        frames=frames,
        start=start,
        keypoints=ks.names,
        cameras=cams,
        skeleton=[tuple(e) for e in ks.skeleton],
        swap_pairs=[tuple(p) for p in ks.swap_pairs],
        mask_ids=mask_ids([item.name for item in s.rig], [a["name"] for a in animals] if animals else None),
        versions={"simgen": simgen.__version__, "blender": blender_version()},
        extra={"keypoint_set": ks.name, "animal": animal.name, "animal_keypoints": animal.keypoint_names,
               "overrides": list(loaded.overrides)},
        format=DATASET_FORMAT_MULTI if animals else DATASET_FORMAT,
        animals=animals,
    )


def plan(scene_path: Path, out: Path, *, frames: int | None = None, start: int = 0, preset: str | None = None,
         overrides: Sequence[str] = (), shard: tuple[int, int] = (0, 1)) -> RenderPlan:
    from simgen.dataset import DatasetWriter
    from simgen.dataset.shards import shard_frames
    from simgen.dataset.verify import check_frame
    from simgen.render.faults import check_limits
    from simgen.scene import load_scene
    from simgen.scene.presets import scene_overrides

    sets = scene_overrides(preset, overrides)
    loaded = load_scene(scene_path, sets)
    n = frames if frames is not None else loaded.scene.frames
    if n < 1 or start < 0:
        raise SimgenError("--frames must be >= 1 and --start >= 0")
    check_limits(n)
    animal = animal_assets(loaded.scene)[0]  # every animal's asset, checked to share the keypoints
    if loaded.scene.multi:  # issue 16: several animals; a scene they do not fit fails here, not in a worker
        from simgen.sampling import sample_frame

        sample_frame(loaded.scene, start)
    meta = build_meta(loaded, n, start, animal)
    writer = DatasetWriter(out, meta)  # writes dataset.json, or checks it matches
    todo, skipped = [], []
    for f in shard_frames(start, n, shard):
        if writer.layout.annotation(f).exists() and check_frame(writer.layout, writer.meta, f) is None:
            skipped.append(f)
        else:
            todo.append(f)
    return RenderPlan(Path(scene_path), Path(out), sets, meta, todo, skipped, created=writer.created)
