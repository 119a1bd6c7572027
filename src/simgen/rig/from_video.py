"""``simgen rig from-video``: a scene from a video of the rig (library entry).

Steps: sample frames across the video -> background plates -> floor outline in
the first plate -> camera and lens fit -> floor brightness statistics -> (one small
Cycles render of the fitted scene: the light calibration and the right half of
``fit.png``) -> ``scene.yaml``, ``plates/``, ``camera.json``, ``fit.png``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simgen.choices import Walls
from simgen.dataset.writer import check_written
from simgen.errors import SimgenError, UsageError

if TYPE_CHECKING:
    from simgen.rig.animal_size import AnimalSizes

# Light of the written scene: an area light this many camera heights above the floor.
LIGHT_HEIGHT_FACTOR = 2.0
WORLD_STRENGTH = 0.1
# Stand-in when no calibration render runs (--no-render): the floor's linear
# brightness per W of ceiling light, measured with the written arena scene at
# 640x480 (docs/rig-from-video.md) -- only the light's height and size matter.
REFERENCE_LINEAR_PER_W = 0.11
CALIB_ENERGY = 2.0  # low enough that the rendered floor does not clip
TONE_GAMMA = (0.5, 3.0)  # the fitted contrast is kept in this range (a camera's curve, not a repaint)
SIZE_FRAMES = 32  # frames rendered (masks only) to match the animal's size to the video's
MIN_FRAMES = 3  # fewer frames read than this: the plates keep an animal that did not move (a warning)


@dataclass
class RigResult:
    out: Path
    scene: Path
    plates: list[Path]
    segments: list[tuple[int, int]]
    corners: np.ndarray
    focal_px: float
    height_m: float
    dist: np.ndarray
    corner_errors: np.ndarray
    edge_rms: float
    focal_sigma: float
    energy: tuple[float, float, float]
    floor_error: float | None  # mean abs grey difference, plate vs held-out frames, animal masked
    seconds: dict[str, float] = field(default_factory=dict)
    fit_png: Path | None = None


def parse_corners(text: str | None) -> np.ndarray | None:
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--corners: not numbers: {text!r} (want x1,y1,x2,y2,x3,y3,x4,y4)") from None
    if len(vals) != 8:
        raise UsageError(f"--corners needs 8 numbers x1,y1,...,x4,y4 (got {len(vals)})")
    return np.asarray(vals).reshape(4, 2)


def floor_polygon(fit, arena_m, wall_height: float = 0.0, n: int = 40, distort: bool = True) -> np.ndarray:
    """(4n, 2) image points along the floor rectangle (at ``wall_height`` above it)."""
    from simgen.rig.camera_fit import floor_corners_world

    c = floor_corners_world(*arena_m)
    c[:, 2] = wall_height
    s = np.linspace(0, 1, n, endpoint=False)[:, None]
    pts = np.concatenate([c[k] + s * (c[(k + 1) % 4] - c[k]) for k in range(4)])
    return fit.project(pts, distort=distort)


def polygon_mask(poly: np.ndarray, width: int, height: int, erode: int = 0) -> np.ndarray:
    import cv2

    m = np.zeros((height, width), np.uint8)
    cv2.fillPoly(m, [np.rint(poly).astype(np.int32)], 1)
    if erode > 0:
        m = cv2.erode(m, np.ones((2 * erode + 1, 2 * erode + 1), np.uint8))
    return m > 0


def plate_floor_error(info, plate_set, floor: np.ndarray, count: int = 40, known_bad=()) -> float:
    """Mean absolute grey difference between a frame's plate and held-out frames (taken
    between the plate's samples), on the floor with the animal masked out. Frames in
    ``known_bad`` (already reported unreadable) are not tried again."""
    from simgen.rig.plates import DIFF_THRESHOLD, _dilate, blobs, body_px, grey_of, shape_masks
    from simgen.video import even_indices, read_frames

    bad = set(known_bad)
    held_out = read_frames(info, [i for i in even_indices(info.frames, count, offset=0.5) if i not in bad])
    if not held_out.images:
        return float("nan")
    idx, frames = held_out.indices, held_out.stack()
    grey = grey_of(frames)
    h, w = grey.shape[1:]
    dark, bright = shape_masks(grey, textured=plate_set.textured)
    shape = dark if plate_set.polarity == "dark" else bright
    threshold, open_px = (2 * DIFF_THRESHOLD, body_px(h, w)) if plate_set.textured else (DIFF_THRESHOLD, 3)
    errs = []
    for i, g, sh in zip(idx, grey, shape):
        p = grey_of(plate_set.plates[plate_set.plate_for(int(i))][None].astype(np.float32))[0]
        d = g - p
        sign = -1.0 if plate_set.polarity == "dark" else 1.0
        animal = sh | blobs(sign * d, threshold, max(4, (h * w) // 20000), open_px)
        animal = _dilate(animal[None], max(4, min(h, w) // 30))[0]
        sel = floor & ~animal
        if sel.sum() > 0.2 * floor.sum():
            errs.append(float(np.abs(d[sel]).mean()))
    return float(np.mean(errs)) if errs else float("nan")


def _arena_and_scale(arena_m, corners, frames, idx, ps, animals: int, animal_length: float | None,
                     log: Callable[[str], None]) -> tuple[float, float, float, "AnimalSizes"]:
    """(floor width, height in metres, the animal's scale factor for the scene, the measured sizes)."""
    from simgen.rig.animal_size import BODY_LENGTH_M, measure

    c = np.asarray(corners, float)
    w_px = (np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])) / 2
    h_px = (np.linalg.norm(c[3] - c[0]) + np.linalg.norm(c[2] - c[1])) / 2
    sizes = measure(frames, idx, ps, animals)
    real = sizes.median_px
    if arena_m is None:
        if not np.isfinite(real):
            raise SimgenError("no --arena, and the animals' size could not be measured (no frame shows each of "
                              f"the {animals} animal(s) whole and apart); give the floor's size: --arena W H")
        length = animal_length if animal_length is not None else BODY_LENGTH_M
        m_per_px = length / real
        W, H = float(w_px * m_per_px), float(h_px * m_per_px)
        log(f"animal: body {real:.0f} px median (p90 {sizes.percentile_px(90):.0f}, {len(sizes.lengths_px)} bodies "
            f"in {sizes.frames_used} frames) = {100 * length:.1f} cm -> floor {W:.3f} x {H:.3f} m")
        return W, H, (length / BODY_LENGTH_M), sizes
    W, H = (float(v) for v in arena_m)
    if not np.isfinite(real):
        log("animal: size not measured (no frame shows each animal whole and apart); animal scale 1")
        return W, H, 1.0, sizes
    m_per_px = (W / w_px + H / h_px) / 2
    length = real * m_per_px
    scale = length / BODY_LENGTH_M
    log(f"animal: body {real:.0f} px median (p90 {sizes.percentile_px(90):.0f}, {len(sizes.lengths_px)} bodies "
        f"in {sizes.frames_used} frames) = {100 * length:.1f} cm at this --arena; the bundled mouse's is "
        f"{100 * BODY_LENGTH_M:.1f} cm: animal scale {scale:.2f}")
    if not 0.7 <= scale <= 1.4:
        log(f"warning: the animal would be {scale:.2f}x the bundled mouse; check --arena")
    return W, H, scale, sizes


def from_video(video: Path, arena_m: tuple[float, float] | None, out: Path, *, corners: str | None = None,
               samples: int = 96, max_plates: int = 4, wall_height: float = 0.15, render: bool = True,
               measure: bool = True, walls: Walls = "auto", animals: int | None = None,
               animal_length: float | None = None, log: Callable[[str], None] = print) -> RigResult:
    """``walls``: "clear" (a cage: the plate shows them, they hide nothing), "opaque", or
    "auto" (clear when the floor is textured bedding, as in a home cage); ``animals``:
    how many the video shows (None: counted from the video). ``arena_m`` None: the floor's
    size from the animals' size in the video (``rig.animal_size``), ``animal_length`` metres
    long (default: the bundled mouse's). Either way the scene's animal scale is set so the
    rendered body's median length matches the video's."""
    import cv2

    from simgen.rig.camera_fit import fit_camera
    from simgen.rig.exposure import energy_range, floor_stats
    from simgen.rig.floor import detect_floor
    from simgen.rig.plates import count_animals, extract_plates
    from simgen.rig.scene_writer import RigDescription, write_scene
    from simgen.video import even_indices, probe, read_frames

    if arena_m is not None and min(arena_m) <= 0:
        raise UsageError(f"--arena {arena_m[0]:g} {arena_m[1]:g}: width and height must be > 0 (meters)")
    given = parse_corners(corners)
    times: dict[str, float] = {}
    t = time.perf_counter()
    info = probe(video)
    sampled = read_frames(info, even_indices(info.frames, samples))
    idx, frames = sampled.indices, sampled.stack()  # RGB
    times["decode"] = time.perf_counter() - t
    if info.is_folder:
        log(f"frames: {info.frames} image{'s' * (info.frames != 1)} {info.width}x{info.height} in {info.path}; "
            f"sampled {len(idx)}")
    else:
        log(f"video: {info.frames} frames {info.width}x{info.height} @ {info.fps:.1f} fps; sampled {len(idx)}")
    if len(idx) < MIN_FRAMES:
        log(f"warning: only {len(idx)} frame(s) read from {info.path}: an animal is removed from the plates only "
            f"where it moved between frames; give a frame of the empty rig, or more frames")

    t = time.perf_counter()
    ps = extract_plates(frames, idx, info.frames, segments=max_plates)
    times["plates"] = time.perf_counter() - t
    counted = count_animals(np.stack(ps.masks))
    if counted == 0:
        log(f"warning: nothing moved in the {len(idx)} sampled frames: an animal that stays in one place "
            "throughout is kept in the plates (a still animal under every render); check plates/, and use a "
            "stretch of video where the animals move")
        counted = 1
    n_animals = animals if animals is not None else counted
    log(f"plates: {len(ps.plates)} (frames {', '.join(f'{a}-{b - 1}' for a, b in ps.segments)}); "
        f"animal: {ps.polarity}; floor: {'textured (bedding)' if ps.textured else 'plain'}; "
        f"animals in view: {counted}{f' (using {n_animals}: --animals)' if animals is not None else ''}")

    t = time.perf_counter()
    outline = detect_floor(ps.plates[0], given)
    W, H, animal_scale, sizes = _arena_and_scale(arena_m, outline.corners, frames, idx, ps, n_animals, animal_length,
                                                  log)
    # a ragged (bedding) outline does not measure the lens: a pinhole with k1 = k2 = 0
    fit = fit_camera(outline.corners, outline.edges, (W, H), (info.width, info.height),
                     fit_distortion=not outline.textured)
    times["fit"] = time.perf_counter() - t
    height = float(fit.position[2])
    log(f"camera: focal {fit.focal_px:.1f} px ({np.degrees(2 * np.arctan(info.width / 2 / fit.focal_px)):.1f} deg "
        f"horizontal, +-{100 * fit.focal_sigma:.0f}%), height {height:.3f} m, "
        f"k1 {fit.dist[0]:+.4f} k2 {fit.dist[1]:+.4f}")
    straight = (f"edge straightness rms {fit.edge_rms:.2f} px" if np.isfinite(fit.edge_rms) else
                "lens distortion not measured (" + ("a ragged bedding outline" if outline.textured
                                                    else "too few edge points") + ")")
    log(f"corner reprojection error: {', '.join(f'{e:.2f}' for e in fit.corner_errors)} px "
        f"(rms {fit.corner_rms:.2f}); {straight}")
    if fit.corner_rms > 3.0:
        log("warning: corners fit badly; check --arena (its W/H ratio) and --corners")

    floor = polygon_mask(floor_polygon(fit, (W, H)), info.width, info.height, erode=4)
    stats = floor_stats(ps.plates[0], frames, np.stack(ps.masks), floor)

    out = Path(out)
    (out / "plates").mkdir(parents=True, exist_ok=True)
    grey_video = all(np.array_equal(p[..., 0], p[..., 2]) and np.array_equal(p[..., 0], p[..., 1]) for p in ps.plates)
    plate_paths = []
    for i, p in enumerate(ps.plates):
        path = out / "plates" / f"plate_{i:02d}.png"
        cv2.imwrite(str(path), p[..., 0] if grey_video else cv2.cvtColor(p, cv2.COLOR_RGB2BGR))  # grey: 1 channel
        check_written(path)  # OpenCV reports a failed write (a full disk) only as False
        plate_paths.append(path)

    floor_err = None
    if measure:
        t = time.perf_counter()
        floor_err = plate_floor_error(info, ps, floor, known_bad=sampled.skipped)
        times["measure"] = time.perf_counter() - t
        if np.isfinite(floor_err):
            log(f"plate vs held-out frames: {floor_err:.2f} grey levels mean abs difference on the floor "
                f"(animal masked)")
        else:
            log("plate vs held-out frames: not measured (no held-out frame showed enough floor)")
            floor_err = None

    light_h = LIGHT_HEIGHT_FACTOR * max(height, 0.1)
    desc = RigDescription(
        video=str(video), arena_m=(W, H), wall_height_m=wall_height, resolution=(info.width, info.height),
        position=fit.position, look_at=fit.look_at, up=fit.up, focal_px=fit.focal_px, dist=fit.dist,
        corner_rms=fit.corner_rms, energy=(0.0, 0.0, 0.0), world_strength=WORLD_STRENGTH,
        floor_linear=min(0.9, stats.plate_linear), fur="black" if ps.polarity == "dark" else "white",
        plates=[f"plates/{p.name}" for p in plate_paths], light_height_m=light_h, animals=n_animals,
        animal_scale=animal_scale,
        clear_walls=walls == "clear" or (walls == "auto" and ps.textured))
    if desc.clear_walls:
        log("walls: clear (the plate shows them; they hide nothing)" + ("; --walls opaque if yours are not"
                                                                          if walls == "auto" else ""))

    if render and len(sizes.lengths_px):
        t = time.perf_counter()
        _match_size(desc, sizes.lengths_px, out, log)
        times["size"] = time.perf_counter() - t

    render_png = None
    calib_linear, calib_animal = REFERENCE_LINEAR_PER_W * CALIB_ENERGY, float("nan")
    if render:
        t = time.perf_counter()
        render_png, calib_linear, calib_animal = _calibration_render(desc, out, fit, (W, H))
        times["render"] = time.perf_counter() - t
    energy = energy_range(stats, CALIB_ENERGY, calib_linear)
    desc.energy = energy
    log(f"floor: sRGB {stats.plate_srgb:.0f} (linear {stats.plate_linear:.3f}); frames spread "
        f"{stats.spread[0]:.2f}-{stats.spread[1]:.2f}; light energy {energy[0]:.1f} W "
        f"(range {energy[1]:.1f}-{energy[2]:.1f})")
    desc.tone = _fit_tone(sizes.body_linear, calib_animal * energy[0] / CALIB_ENERGY, stats.plate_linear, log)
    scene_path = write_scene(out / "scene.yaml", desc)
    from simgen.dataset.writer import atomic_write_text

    atomic_write_text(out / "camera.json", json.dumps({
        "K": fit.K.tolist(), "dist": fit.dist.tolist(), "R": fit.R.tolist(), "t": fit.tvec.tolist(),
        "width": info.width, "height": info.height, "corners_px": outline.corners.tolist(),
        "corner_errors_px": fit.corner_errors.tolist(), "focal_rel_sigma": fit.focal_sigma,
        "arena_m": [W, H], "plates": {p.name: list(s) for p, s in zip(plate_paths, ps.segments)},
    }, indent=2))
    mid = len(frames) // 2
    fit_png = _fit_sheet(out / "fit.png", frames[mid], int(idx[mid]), fit, outline.corners, (W, H), wall_height,
                         render_png, gain=energy[0] / CALIB_ENERGY)
    return RigResult(out, scene_path, plate_paths, ps.segments, outline.corners, fit.focal_px, height, fit.dist,
                     fit.corner_errors, fit.edge_rms, fit.focal_sigma, energy, floor_err, times, fit_png)


def _match_size(desc, real: np.ndarray, out: Path, log: Callable[[str], None], frames: int = SIZE_FRAMES) -> None:
    """Render the scene's animals (masks only, Workbench, half resolution, ``frames``
    frames of its own poses), scale them so their median body length is the video's,
    render again to check; sets ``desc.animal_scale``, writes ``size.png``."""
    import dataclasses
    import shutil
    import tempfile

    from simgen.render.run import render as run_render
    from simgen.rig.animal_size import rendered_lengths, size_plot
    from simgen.rig.scene_writer import write_scene

    w, h = desc.resolution
    real_med, real_p90 = float(np.median(real)), float(np.percentile(real, 90))

    def lengths() -> np.ndarray:
        tmp = Path(tempfile.mkdtemp(prefix="simgen-size-"))
        try:
            d = dataclasses.replace(desc, plates=[], resolution=(w // 2, h // 2), focal_px=desc.focal_px * (w // 2) / w)
            run_render(write_scene(tmp / "size.yaml", d), tmp / "ds", frames=frames, preset="preview", progress=False)
            return rendered_lengths(tmp / "ds", scale_px=w / (w // 2))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    first = lengths()
    if not len(first):
        log("animal size: no rendered body in view; animal scale left as measured")
        return
    desc.animal_scale *= real_med / float(np.median(first))
    rendered = lengths()
    if not len(rendered):
        return
    med, p90 = float(np.median(rendered)), float(np.percentile(rendered, 90))
    log(f"animal size, renders vs video ({frames} frames of the scene's poses): median {med:.0f} vs {real_med:.0f} px "
        f"({100 * (med / real_med - 1):+.1f}%), p90 {p90:.0f} vs {real_p90:.0f} px ({100 * (p90 / real_p90 - 1):+.1f}%); "
        f"animal scale {desc.animal_scale:.3f}")
    size_plot(out / "size.png", real, rendered)


def _fit_tone(real: float, rendered: float, floor: float, log: Callable[[str], None]) -> tuple[float, float] | None:
    """The contrast (``scene.Tone``: gamma about the floor's level) that takes the rendered
    animal's median brightness to the video's, or None when there is nothing to match
    (not measured, or the animal and its render on opposite sides of the floor's level)."""
    from simgen.imageops import linear_to_srgb

    def srgb(v: float) -> float:
        return 255.0 * float(linear_to_srgb(np.asarray(v)))

    if not (np.isfinite(real) and np.isfinite(rendered) and real > 0 and rendered > 0 and 0 < floor < 1):
        log("animal brightness: not measured; rendered as is")
        return None
    a, b = np.log(real / floor), np.log(rendered / floor)
    if abs(b) < 1e-3 or a / b <= 0:
        log(f"animal brightness: video sRGB {srgb(real):.0f}, renders {srgb(rendered):.0f} against the floor's "
            f"{srgb(floor):.0f}: not on the same side; rendered as is")
        return None
    gamma = float(np.clip(a / b, TONE_GAMMA[0], TONE_GAMMA[1]))
    log(f"animal brightness: video sRGB {srgb(real):.0f} (median inside the bodies), renders {srgb(rendered):.0f}: "
        f"contrast gamma {gamma:.2f} about the floor's {srgb(floor):.0f} (background.tone)")
    return gamma, float(floor)


def _calibration_render(desc, out: Path, fit, arena_m) -> tuple[Path, float, float]:
    """Render the fitted scene once (half resolution, no plates, known light energy);
    returns the image, the floor's mean linear brightness in it and the animal's median
    (``animal_size.inner_pixels``)."""
    import dataclasses
    import shutil
    import tempfile

    import cv2

    from simgen.dataset import Dataset
    from simgen.render.run import render as run_render
    from simgen.rig.animal_size import inner_pixels
    from simgen.rig.exposure import linear_of_8bit
    from simgen.rig.scene_writer import ARENA_PART, write_scene

    w, h = desc.resolution
    tmp = Path(tempfile.mkdtemp(prefix="simgen-rig-"))
    try:
        calib = dataclasses.replace(desc, plates=[], energy=(CALIB_ENERGY, CALIB_ENERGY, CALIB_ENERGY), animals=1,
                                    resolution=(w // 2, h // 2), focal_px=desc.focal_px * (w // 2) / w)
        scene = write_scene(tmp / "calib.yaml", calib)
        run_render(scene, tmp / "ds", frames=1, overrides=["render.samples=16", "animal.placement.x=0",
                                                            "animal.placement.y=0"], progress=False)
        ds = Dataset(tmp / "ds")
        cam, frame = ds.meta.pick_camera(None), ds.frames()[0]
        img_path = ds.image_path(cam, frame)
        mask = cv2.imread(str(ds.mask_path(cam, frame)), cv2.IMREAD_UNCHANGED)
        img = cv2.imread(str(img_path))
        floor_id = ds.meta.mask_ids[ARENA_PART]
        floor = polygon_mask(floor_polygon(fit, arena_m) / 2, w // 2, h // 2, erode=3) & (mask == floor_id)
        linear = float(linear_of_8bit(img.astype(float).mean(axis=-1)[floor]).mean())
        body = inner_pixels(img, np.isin(mask, ds.meta.animal_ids))
        dst = out / "fit_render.png"
        shutil.copy(img_path, dst)
        return dst, linear, float(np.median(body)) if len(body) else float("nan")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fit_sheet(path: Path, frame: np.ndarray, index: int, fit, corners, arena_m, wall_height, render_png,
               gain: float = 1.0) -> Path:
    """The fitted floor (green) and wall tops (yellow) over a real frame, the detected
    corners (red circles); beside it a render of the fitted scene with the same lines,
    brightened by ``gain`` in linear light (the calibration render's light -> the fitted
    energy; Cycles is linear up to the view transform)."""
    import cv2

    frame = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)  # the sheet is drawn and written by OpenCV
    h, w = frame.shape[:2]

    def draw(img, distort: bool) -> np.ndarray:
        img = img.copy()
        for z, color in ((0.0, (0, 220, 0)), (wall_height, (0, 220, 255))):
            poly = floor_polygon(fit, arena_m, z, n=60, distort=distort)
            cv2.polylines(img, [np.rint(poly * 4).astype(np.int32)], True, color, 1, cv2.LINE_AA, shift=2)
        return img

    left = draw(frame, True)
    for c in corners:
        cv2.circle(left, tuple(np.rint(c * 4).astype(int)), 6 * 4, (0, 0, 255), 1, cv2.LINE_AA, shift=2)
    cv2.putText(left, f"video frame {index}: fitted floor, wall tops", (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                (0, 0, 255), 1, cv2.LINE_AA)
    if render_png is not None:
        from simgen.imageops import linear_to_srgb
        from simgen.rig.exposure import linear_of_8bit

        r = linear_of_8bit(cv2.resize(cv2.imread(str(render_png)), (w, h), interpolation=cv2.INTER_LINEAR)) * gain
        r = np.rint(linear_to_srgb(r) * 255).astype(np.uint8)
        right = draw(r, True)
        cv2.putText(right, "render of the fitted scene (same lens)", (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 255), 1, cv2.LINE_AA)
        left = np.hstack([left, right])
    cv2.imwrite(str(path), left)
    check_written(path)
    return path
