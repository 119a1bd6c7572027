"""``simgen pose predict`` with a top-down model: several animals per frame, no boxes given.

The frames of a video file or a folder of images (read by ``simgen.video``: unreadable
frames are skipped, rows keep the frame numbers) go through ``topdown.pose_animals``: the
finding stage boxes the animals, each box is cropped and posed. Written into the output
folder, named after the video (or the folder) as DeepLabCut names its results:

- ``<stem>simgenPose.h5`` (key ``df_with_missing``) and ``.csv``: DeepLabCut's multi-animal
  table, columns (scorer, individuals, bodyparts, coords) with individuals ``animal0`` ..
  ``animal{M-1}`` (M: the most animals kept per frame) and coords x, y, likelihood; one row
  per frame, indexed by frame number (a video) or file name (a folder). ``animalN`` is the
  frame's N-th best-scoring animal: there are no identities across frames (no tracking).
  A frame with fewer animals (none at all included) has NaN in the remaining columns.
- ``<stem>simgenPose.predictions.slp``: SLEAP labels (through sleap-io) with one
  ``PredictedInstance`` per animal found (point scores: the likelihoods; instance score: the
  finder's), no tracks; the video is the source itself (the video file, or the folder's
  images as an image list, frame index = position in the folder's order), by absolute path.
  A frame with no animal has no labeled frame.
- ``<stem>simgenPose_boxes.csv``: one line per animal found (frame, animal, x0, y0, x1, y1
  at pixel edges, score: the finder's centre peak in [0, 1]).
- ``<stem>simgenPose_sheet.png``: a contact sheet of frames spread evenly over the run,
  each animal's box, name and score in its own color, keypoints of likelihood >= ``pcutoff``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.errors import SimgenError
from simgen.pose.predict import SCORER

# box and keypoint colors of animal0, animal1, ... (those of simgen preview's animals)
ANIMAL_COLORS = [(255, 220, 0), (0, 200, 255), (255, 80, 200), (120, 255, 80), (255, 140, 0), (170, 120, 255)]


def run_predict(model, source: Path, out_dir: Path | None = None, *, labeled_video: bool = False,
                max_frames: int | None = None, tta: bool = False, max_animals: int | None = None,
                threshold: float | None = None) -> dict[str, Path]:
    """``simgen pose predict``: a top-down model through ``predict_animals``, a model of one
    animal through ``predict.predict_video``; options of the other kind are refused."""
    if model.topdown:
        if labeled_video:
            raise SimgenError("--labeled-video is not there for top-down models (several animals); "
                              "see the contact sheet it writes")
        return predict_animals(model, source, out_dir, max_animals=max_animals, threshold=threshold,
                               max_frames=max_frames, tta=tta)
    from simgen.pose.predict import predict_video

    if max_animals is not None or threshold is not None:
        raise SimgenError("--max-animals and --threshold are for top-down models (several animals)")
    return predict_video(model, source, out_dir, labeled_video=labeled_video, max_frames=max_frames, tta=tta)


def dlc_multi_table(xy: np.ndarray, conf: np.ndarray, keypoints: list[str], individuals: list[str],
                    scorer: str = SCORER, index=None):
    """xy (N, M, K, 2), likelihood (N, M, K) -> DeepLabCut's multi-animal table: MultiIndex
    columns (scorer, individuals, bodyparts, coords)."""
    import pandas as pd

    cols = pd.MultiIndex.from_product([[scorer], individuals, keypoints, ["x", "y", "likelihood"]],
                                      names=["scorer", "individuals", "bodyparts", "coords"])
    data = np.concatenate([xy, conf[..., None]], axis=-1).reshape(len(xy), -1)
    return pd.DataFrame(data, columns=cols, index=index)


def _frames(source: Path, limit: int | None):
    """(info, iterator of (frame number, RGB image)): the one place this module reads frames."""
    from simgen.video import iter_frames, probe

    info = probe(source)
    return info, iter_frames(info, limit)


def predict_animals(model, source: Path, out_dir: Path | None = None, max_animals: int | None = None,
                    threshold: float | None = None, max_frames: int | None = None, sheet_frames: int = 12,
                    pcutoff: float = 0.4, tta: bool = False) -> dict[str, Path]:
    """Find and pose the animals in every frame of ``source``; returns the written files by
    kind (h5, csv, boxes, sheet). ``max_animals``, ``threshold``: the finding stage's (its
    trained defaults when None); more animals than ``max_animals`` keep the best-scoring."""
    from simgen.pose.finder import model_finder
    from simgen.pose.topdown import pose_animals
    from simgen.video import even_indices

    source = Path(source)
    if not model.topdown:
        raise SimgenError("not a top-down model (trained on one animal per image); use predict_video")
    finder = model_finder(model)
    most = finder.max_animals if max_animals is None else int(max_animals)
    if most < 1:
        raise SimgenError(f"--max-animals {most}: keep at least one animal per frame")
    info, frames = _frames(source, max_frames)
    total = info.frames if max_frames is None else min(info.frames, max_frames)
    show = {int(i) for i in even_indices(total, sheet_frames)}
    indices: list[int] = []
    kept: dict[int, np.ndarray] = {}

    def images():
        for i, img in frames:
            indices.append(i)
            if i in show:
                kept[i] = img
            yield img

    found = list(pose_animals(model, images(), most, threshold, tta=tta))
    if not found:
        raise SimgenError(f"{source}: no frames could be read")
    k = len(model.keypoints)
    xy = np.full((len(found), most, k, 2), np.nan)
    conf = np.full((len(found), most, k), np.nan)
    box_rows = []
    names = [f.name for f in info.files] if info.is_folder else None
    label = (lambda i: names[i]) if names else (lambda i: i)  # noqa: E731
    for r, (i, f) in enumerate(zip(indices, found)):
        xy[r, :len(f)], conf[r, :len(f)] = f.xy, f.conf
        # the finder's box may reach past the frame (an animal at its edge): the table gives the part in view
        boxes = np.clip(np.asarray(f.boxes, float).reshape(-1, 4), -0.5,
                        [info.width - 0.5, info.height - 0.5, info.width - 0.5, info.height - 0.5])
        box_rows += [(label(i), a, *boxes[a], f.scores[a]) for a in range(len(f))]
    individuals = [f"animal{a}" for a in range(most)]
    out_dir = Path(out_dir) if out_dir is not None else (source if source.is_dir() else source.parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{source.stem if source.is_file() else source.name}{SCORER}"
    df = dlc_multi_table(xy, conf, list(model.keypoints), individuals, index=[label(i) for i in indices])
    written = {"h5": out_dir / f"{stem}.h5", "csv": out_dir / f"{stem}.csv",
               "slp": out_dir / f"{stem}.predictions.slp", "boxes": out_dir / f"{stem}_boxes.csv",
               "sheet": out_dir / f"{stem}_sheet.png"}
    import pandas as pd

    from simgen.dataset.writer import atomic_write

    # whole files or none (a full disk leaves no cut-off table), and errors that name the file
    with atomic_write(written["h5"]) as tmp:
        df.to_hdf(tmp, key="df_with_missing", mode="w")
    with atomic_write(written["csv"]) as tmp:
        df.to_csv(tmp)
    with atomic_write(written["boxes"]) as tmp:
        pd.DataFrame(box_rows, columns=["frame", "animal", "x0", "y0", "x1", "y1", "score"]).to_csv(tmp, index=False)
    with atomic_write(written["slp"], suffix=".slp") as tmp:
        write_slp(tmp, info, indices, found, model)
    at = {i: r for r, i in enumerate(indices)}
    shown = [(label(i), kept[i], found[at[i]]) for i in sorted(kept)]
    with atomic_write(written["sheet"], suffix=".png") as tmp:
        sheet(shown, tmp, pcutoff)
    return written


def write_slp(path: Path, info, indices: list[int], found: list, model) -> Path:
    """SLEAP predictions (see the module docstring) of ``found[r]`` in frame ``indices[r]``."""
    import sleap_io as sio  # heavy; only this writer needs it

    skeleton = sio.Skeleton(list(model.keypoints), symmetries=[list(p) for p in model.swap_pairs], name="simgen")
    # the record sleap-io writes for an open video, built from simgen.video's probe without
    # opening the source again (simgen.video is the one reader of videos)
    shape = [int(info.frames), int(info.height), int(info.width), 3]
    if info.is_folder:
        names = [str(f.resolve()) for f in info.files]
        meta = {"type": "ImageVideo", "shape": shape, "filename": names[0], "filenames": names,
                "height_": shape[1], "width_": shape[2], "channels_": 3, "grayscale": False, "fps": None}
        video = sio.Video(filename=names, backend_metadata=meta, open_backend=False)
    else:
        name = str(Path(info.path).resolve())
        meta = {"type": "MediaVideo", "shape": shape, "filename": name, "grayscale": False, "fps": float(info.fps)}
        video = sio.Video(filename=name, backend_metadata=meta, open_backend=False)
    frames = []
    for i, f in zip(indices, found):
        inst = [sio.PredictedInstance.from_numpy(f.xy[a], skeleton=skeleton, point_scores=f.conf[a],
                                                 score=float(f.scores[a])) for a in range(len(f))]
        if inst:
            frames.append(sio.LabeledFrame(video=video, frame_idx=int(i), instances=inst))
    sio.Labels(frames, videos=[video], skeletons=[skeleton]).save(str(path), verbose=False)
    return path


def sheet(frames: list[tuple[object, np.ndarray, object]], path: Path, pcutoff: float = 0.4,
          tile_width: int = 320, columns: int = 4) -> Path:
    """A grid of (name, image, ``FoundAnimals``): each animal's box, name and score in its
    color (``ANIMAL_COLORS``, those of ``simgen preview``), keypoints with likelihood >=
    ``pcutoff`` as dots outlined in black."""
    from PIL import Image, ImageDraw

    if not frames:
        raise SimgenError("no frames to draw")
    tiles = []
    for name, img, f in frames:
        h, w = img.shape[:2]
        s = tile_width / w  # draw on the tile, so lines stay a pixel wide
        im = Image.fromarray(np.ascontiguousarray(img)).resize((tile_width, max(1, round(h * s))), Image.BILINEAR)
        d = ImageDraw.Draw(im)
        for a in range(len(f)):
            color = ANIMAL_COLORS[a % len(ANIMAL_COLORS)]
            x0, y0, x1, y1 = ((f.boxes[a] + 0.5) * s - 0.5).tolist()
            d.rectangle([x0, y0, x1, y1], outline=color, width=1)
            d.text((x0 + 1, max(0.0, y0 - 11)), f"animal{a} {f.scores[a]:.2f}", fill=color)
            for (x, y), c in zip((f.xy[a] + 0.5) * s - 0.5, f.conf[a]):
                if c >= pcutoff:
                    d.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=color, outline=(0, 0, 0))
        d.text((4, 2), f"{name}: {len(f)} found", fill=(255, 255, 0))
        tiles.append(im)
    cols = min(columns, len(tiles))
    rows = (len(tiles) + cols - 1) // cols
    th = max(t.height for t in tiles)
    out = Image.new("RGB", (cols * tile_width, rows * th), (30, 30, 30))
    for i, t in enumerate(tiles):
        out.paste(t, ((i % cols) * tile_width, (i // cols) * th))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(path)
    return path
