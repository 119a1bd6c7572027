"""lightning-pose: ``OUT/CollectedData.csv``, ``OUT/labeled-data/<set>/*.png``, an empty
``OUT/videos/`` and ``OUT/config_snippet.yaml`` (the ``data:`` section to paste into a
lightning-pose config). Written by us: sleap-io has no lightning-pose writer.

The CSV is DeepLabCut's (3-row header scorer / bodyparts / coords, string row index
``labeled-data/<set>/<image>``) with a third coord per keypoint, ``visible``, which
lightning-pose >= 2.4 reads (``io_utils.parse_label_csv``): 2 visible, 1 occluded, 0
not labeled.

Coordinates: simgen's = DeepLabCut's (pixel centers at integer coordinates, origin at
the center of the top-left pixel). Visibility, as lightning-pose reads it: visible
points have x, y and visible=2. Occluded points are kept as visible=1 with NaN x, y
(``OCCLUDED_DEFAULT = "keep"``): lightning-pose trains a uniform heatmap for them and,
without coordinates, does not warn that the flag overrides them; with ``--occluded
drop`` they are NaN with visible=0, like points outside the image. A frame with the
animal out of view is a row of NaN, visible=0.

Names: lightning-pose's horizontal flip (``training.imgaug_hflip``) swaps exactly the
keypoints whose names end in ``_left``/``_right`` and refuses unmatched ones. So each
left/right pair of the keypoint set is renamed ``<base>_left``/``<base>_right``
(``left_ear_tip`` -> ``ear_tip_left``, ``leftear`` -> ``ear_left``); the snippet's
``simgen.renamed`` lists the renames. ``write_lightning_pose(..., rename_for_flip=False)``
keeps the names as they are.

The snippet passes lightning-pose's path checks as written: ``data_dir`` is OUT
(absolute), ``video_dir`` is ``videos`` (relative to ``data_dir``; the folder is
created empty: put unlabeled .mp4 videos there for semi-supervised losses or
prediction), ``csv_file`` is relative to ``data_dir``.
"""

from __future__ import annotations

import re
from pathlib import Path

from simgen.errors import SimgenError
from simgen.export.dlc import coords_table, copy_images, image_names, max_size, set_name_for
from simgen.export.labels import PoseLabels, from_dataset

OCCLUDED_DEFAULT = "keep"  # visible=1 without coordinates: lightning-pose's occluded
VIDEO_DIR = "videos"


def _resize_dim(n: int) -> int:
    # lightning-pose asks for resize dims that are multiples of 128.
    return max(128, int(round(n / 128)) * 128)


def _base(name: str, side: str) -> str | None:
    """``name`` without its ``side`` word (``left_ear_tip`` -> ``ear_tip``), or None."""
    sep = r"[_\-.]"
    for pattern in (rf"^{side}{sep}(.+)$", rf"^(.+){sep}{side}$", rf"^(.+?){sep}{side}({sep}.+)$",
                    rf"^{side}(.+)$", rf"^(.+){side}$"):
        m = re.match(pattern, name, flags=re.IGNORECASE)
        if m:
            return "".join(m.groups()).strip("_-.") or None
    return None


def flip_names(keypoints: list[str], swap_pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Renames giving each left/right pair the ``<base>_left``/``<base>_right`` names."""
    renamed: dict[str, str] = {}
    for a, b in swap_pairs:
        left, right = (b, a) if "left" in b.lower() and "left" not in a.lower() else (a, b)
        base_l, base_r = _base(left, "left"), _base(right, "right")
        base = base_l if base_l is not None and base_l == base_r else f"{left}__{right}"
        renamed[left], renamed[right] = f"{base}_left", f"{base}_right"
    names = [renamed.get(n, n) for n in keypoints]
    if len(set(names)) != len(names):
        raise SimgenError(f"renaming left/right pairs for lightning-pose makes duplicate names: {names}")
    paired = set(renamed.values())
    unpaired = [n for n in names if n.endswith(("_left", "_right")) and n not in paired]
    if unpaired:
        raise SimgenError(
            f"keypoints {unpaired} end in _left/_right without a swap pair in the keypoint set; "
            "lightning-pose's flip would reject them: add swap_pairs or rename them"
        )
    return {k: v for k, v in renamed.items() if k != v}


def write_lightning_pose(
    labels: PoseLabels, out: Path, set_name: str = "simgen", scorer: str = "simgen", rename_for_flip: bool = True
) -> Path:
    import yaml

    out = Path(out)
    set_name = set_name_for(set_name)
    renamed = flip_names(labels.keypoints, labels.swap_pairs) if rename_for_flip else {}
    names_out = [renamed.get(n, n) for n in labels.keypoints]
    names = image_names(labels)
    copy_images(labels, out / "labeled-data" / set_name, names)
    (out / VIDEO_DIR).mkdir(exist_ok=True)
    index = [f"labeled-data/{set_name}/{n}" for n in names]
    xyv = labels.xyv.copy()
    xyv[xyv[..., 2] == 1, :2] = float("nan")  # occluded: the flag, no coordinates
    df = coords_table(xyv, names_out, set_name_for(scorer), index, ("x", "y", "visible"))
    csv = out / "CollectedData.csv"
    df.to_csv(csv)
    w, h = max_size(labels)
    index_of = {n: i for i, n in enumerate(labels.keypoints)}
    snippet = {
        "data": {
            "image_orig_dims": {"height": int(h), "width": int(w)},
            "image_resize_dims": {"height": _resize_dim(h), "width": _resize_dim(w)},
            "data_dir": str(out.resolve()),
            "video_dir": VIDEO_DIR,
            "csv_file": csv.name,
            "downsample_factor": 2,
            "num_keypoints": len(names_out),
            "keypoint_names": names_out,
            "mirrored_column_matches": None,
            "columns_for_singleview_pca": None,
        },
        "simgen": {
            # left/right pairs by keypoint index, and the renames done for imgaug_hflip
            "swap_pairs": [[index_of[a], index_of[b]] for a, b in labels.swap_pairs],
            "renamed": renamed,
        },
    }
    (out / "config_snippet.yaml").write_text(
        "# Paste the data: section into your lightning-pose config (written by simgen export).\n"
        "# Keypoints named *_left/*_right are swapped by training.imgaug_hflip.\n"
        + yaml.safe_dump(snippet, sort_keys=False)
    )
    return csv


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    labels = from_dataset(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT)
    return write_lightning_pose(labels, out, set_name=f"{Path(labels.source).name}_{labels.camera}")
