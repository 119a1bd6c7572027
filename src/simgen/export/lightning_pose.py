"""lightning-pose: ``OUT/CollectedData.csv``, ``OUT/labeled-data/<set>/*.png`` and
``OUT/config_snippet.yaml`` (the ``data:`` section to paste into a lightning-pose config).

The CSV is DeepLabCut's (3-row header scorer / bodyparts / coords, string row index
``labeled-data/<set>/<image>``) with a third coord per keypoint, ``visible``, which
lightning-pose >= 2.4 reads (``io_utils.parse_label_csv``): 2 visible, 1 occluded, 0
not labeled. Written by us: sleap-io has no lightning-pose writer.

Coordinates: simgen's = DeepLabCut's (pixel centers at integer coordinates, origin at
the center of the top-left pixel). Not-labeled keypoints (outside the image, or
occluded with ``--occluded drop``) are NaN with visible=0. Occluded keypoints kept
with ``--occluded keep`` carry their coordinates and visible=1; lightning-pose then
trains a uniform heatmap for them and logs that the flag wins over the coordinates.
"""

from __future__ import annotations

from pathlib import Path

from simgen.export.dlc import copy_images, image_names, label_table, set_name_for
from simgen.export.labels import PoseLabels, from_dataset


def _resize_dim(n: int) -> int:
    # lightning-pose asks for resize dims that are multiples of 128.
    return max(128, int(round(n / 128)) * 128)


def write_lightning_pose(labels: PoseLabels, out: Path, set_name: str = "simgen", scorer: str = "simgen") -> Path:
    import yaml

    out = Path(out)
    set_name = set_name_for(set_name)
    names = image_names(labels)
    copy_images(labels, out / "labeled-data" / set_name, names)
    index = [f"labeled-data/{set_name}/{n}" for n in names]
    df = label_table(labels, set_name_for(scorer), index, visible_column=True)
    csv = out / "CollectedData.csv"
    df.to_csv(csv)
    w, h = max(labels.size(i) for i in range(len(labels)))
    index_of = {n: i for i, n in enumerate(labels.keypoints)}
    snippet = {
        "data": {
            "image_orig_dims": {"height": int(h), "width": int(w)},
            "image_resize_dims": {"height": _resize_dim(h), "width": _resize_dim(w)},
            "data_dir": str(out.resolve()),
            "video_dir": str((out / "videos").resolve()),
            "csv_file": "CollectedData.csv",
            "downsample_factor": 2,
            "num_keypoints": len(labels.keypoints),
            "keypoint_names": list(labels.keypoints),
            "mirrored_column_matches": None,
            "columns_for_singleview_pca": None,
        },
        # simgen's left/right pairs, by keypoint index, for flip augmentation setups.
        "simgen": {"swap_pairs": [[index_of[a], index_of[b]] for a, b in labels.swap_pairs]},
    }
    (out / "config_snippet.yaml").write_text(
        "# Paste the data: section into your lightning-pose config (written by simgen export)\n"
        + yaml.safe_dump(snippet, sort_keys=False)
    )
    return csv


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded="keep") -> Path:
    labels = from_dataset(dataset, camera, keypoint_set, occluded)
    return write_lightning_pose(labels, out, set_name=f"{Path(labels.source).name}_{labels.camera}")
