"""The render worker: one Blender scene per process, then per frame sample, apply, render, label.

Per frame: sample the FrameSpec, apply it, render every camera's RGB and mask, label,
and write the annotation last. A frame killed half-way has no annotation and is redone
by the next run; its temporary files are removed when the frame is rendered again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from simgen.contract import ANIMAL_ID
from simgen.dataset.writer import check_written
from simgen.errors import SimgenError
from simgen.render.faults import clean_dead_writers, die_with_parent, warn_unseen
from simgen.render.plan import keypoint_set_for


class FrameRenderer:
    """Renders frames of one scene into one dataset directory (one per worker process)."""

    def __init__(self, scene_path: Path, out: Path, overrides: Sequence[str], meta, *, threads: int | None = None,
                 sample: Callable | None = None, animal=None):
        from simgen.dataset import DatasetWriter
        from simgen.sampling import sample_frame
        from simgen.scene import load_scene

        self.scene = load_scene(scene_path, list(overrides)).scene
        self.writer = DatasetWriter(out, meta)
        self.meta = self.writer.meta
        self.sample = sample or sample_frame
        self._threads = threads
        self._animal = animal
        self._bscene = None
        self.ks = None
        self.src_names: list[str] = []
        self._seen: dict[str, int] = {}  # camera -> frames of this process where it saw the animal
        self._rendered = 0
        self.region = None  # RegionRenderer with render.reuse_background
        if self.scene.render.reuse_background:
            from simgen.render.region import RegionRenderer

            self.region = RegionRenderer(self.scene.render.region_margin)

    def _build(self, spec) -> None:
        from simgen.render.blender_scene import BlenderScene

        if not spec.animals:
            raise SimgenError("this scene has no animal")
        self._bscene = BlenderScene(spec, threads=self._threads, animal=self._animal)
        self.src_names = self._bscene.animals[0].keypoint_names  # shared (render.plan.animal_assets)
        self.ks = keypoint_set_for(spec.keypoints, self.src_names)
        if self.ks.names != list(self.meta.keypoints):
            raise SimgenError("the keypoint set differs from dataset.json's keypoints")
        if self._bscene.mask_ids != self.meta.mask_ids:
            raise SimgenError("the rig differs from dataset.json's mask ids")

    def render(self, frame: int) -> None:
        from simgen.dataset import AnimalLabels, FrameAnnotation
        from simgen.render import distortion
        from simgen.render.background import composite, plate_for
        from simgen.render.labels import camera_label

        spec = self.sample(self.scene, frame)
        if self._bscene is None:
            self._build(spec)
            if self.region is not None:  # can anything be reused? compare with a neighbour in the same clip
                other = frame + 1
                if spec.clip is not None and spec.clip.length > 1 and spec.clip.frame == spec.clip.length - 1:
                    other = frame - 1
                self.region.check([spec, self.sample(self.scene, other)])
        region = self.region if self.region is not None and self.region.enabled else None
        bs, w = self._bscene, self.writer
        clean_dead_writers(w, [frame])
        bs.apply(distortion.render_spec(spec))  # a distorted camera renders as its overscan pinhole
        n_animals = len(bs.animals)  # at least one (``_build``)
        animal_ids = [ANIMAL_ID + k for k in range(n_animals)]  # one mask id and one label set each
        kp_src = [bs.keypoints_world(k) for k in range(n_animals)]
        inst_labels: list[dict] = [{} for _ in range(n_animals)]
        pending: list[tuple[Path, Path]] = []
        try:
            for cam in spec.cameras:
                tmp, final = w.image_target(cam.name, frame)
                pending.append((tmp, final))
                lens = distortion.lens_for(cam)
                plate = plate_for(spec, cam.name)
                if region is None:
                    bs.render_rgb(cam.name, tmp)
                mtmp, _ = w.mask_target(cam.name, frame)
                try:
                    if spec.render.depth:
                        mask, depth = bs.render_mask(cam.name, mtmp, depth=True)
                        w.write_depth(cam.name, frame, depth if lens is None else lens.warp_array(depth))
                    else:
                        mask = bs.render_mask(cam.name, mtmp)
                finally:
                    mtmp.unlink(missing_ok=True)
                self._seen[cam.name] = self._seen.get(cam.name, 0) + int(np.isin(mask, animal_ids).any())
                if region is not None:  # the mask says where the animals are
                    region.render(bs, cam.name, spec, mask, tmp, animal_ids)
                if lens is not None:  # through the lens: images, masks and depth alike
                    lens.warp_png(tmp)
                if plate is not None:  # the render (transparent film, shadow catchers) over the plate
                    composite(tmp, plate, tone=self.scene.background.tone)
                pinhole_mask = mask  # visibility is decided in the pinhole render
                if lens is not None:
                    mask = lens.warp_array(mask)
                if spec.image is not None:  # floor and image randomization, on the final image
                    _post_process(tmp, spec.image, mask, animal_ids)
                w.write_mask(cam.name, frame, mask)
                for k in range(n_animals):
                    lab = camera_label(bs.pinhole(cam.name), kp_src[k], partial(bs.first_hits, animal=k),
                                       mask=pinhole_mask, src_names=self.src_names, keypoint_set=self.ks,
                                       mask_id=animal_ids[k])
                    if lens is not None:
                        lab = lens.label(lab, mask, animal_ids[k])
                    inst_labels[k][cam.name] = lab
            for tmp, final in pending:
                w.commit(tmp, final)
        except OSError as exc:
            if exc.filename is None and pending:  # a library's write() error names no file
                exc.filename = str(pending[-1][1])
            raise
        finally:
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
        animals = [AnimalLabels(a.name, k, self.ks.map_points(self.src_names, kp_src[k]), inst_labels[k])
                   for k, a in enumerate(spec.animals)]
        w.write_annotation(FrameAnnotation(frame=frame, params=spec.to_json(), animals=animals))
        self._rendered += 1
        warn_unseen(self._seen, self._rendered)


def _post_process(path: Path, ops, mask, animal_ids: list[int]) -> None:
    """Apply a frame's image operations (``simgen.imageops``) to a rendered PNG in place."""
    import cv2

    from simgen.imageops import apply_image_ops

    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint8 or img.ndim != 3:
        raise SimgenError(f"{path}: image randomization needs an 8-bit color render")
    rgb = apply_image_ops(np.ascontiguousarray(img[..., 2::-1]), ops, mask, animal_ids)
    img[..., :3] = rgb[..., ::-1]
    cv2.imwrite(str(path), img)
    check_written(path)  # cv2 reports a failed write only as False


def worker_main(scene_path, out, overrides, meta, frames, threads, queue) -> None:
    """Entry point of a worker process: render ``frames``, report each to ``queue``."""
    from simgen.bpyutil import drop_blender_script_paths

    drop_blender_script_paths()
    die_with_parent()
    logging.basicConfig(level=logging.WARNING)
    try:
        r = FrameRenderer(scene_path, out, overrides, meta, threads=threads)
        for f in frames:
            r.render(f)
            queue.put(("done", f))
    except Exception as exc:  # noqa: BLE001  (surfaced in the parent as one line)
        from simgen.errors import one_line

        queue.put(("error", one_line(exc)[0]))
    queue.put(("exit", None))


