"""``simgen asset``: CT volume -> mesh, and the bundled rigged mouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="Animal assets: CT volume -> mesh, and the bundled rigged mouse.", no_args_is_help=True)

OutDir = Annotated[Path, typer.Option("--out", "-o", help="output directory")]


@app.command("from-ct")
def from_ct(
    volume: Annotated[Path, typer.Argument(help="NIfTI (.nii/.nii.gz), NRRD, TIFF stack (file or folder), "
                                                "DICOM series folder, or .npy")],
    out: OutDir,
    skin_threshold: Annotated[str, typer.Option(help="skin surface level in HU, or 'otsu'")] = "otsu",
    bone_threshold: Annotated[Optional[float], typer.Option(help="also write a bone mesh at this HU")] = None,
    faces: Annotated[int, typer.Option(help="target face count after decimation", min=4)] = 30000,
    smooth: Annotated[int, typer.Option(help="Taubin smoothing iterations", min=0)] = 10,
    spacing: Annotated[Optional[str], typer.Option(help="voxel spacing in meters 'sx,sy,sz' "
                                                        "(needed for .npy and plain TIFF; overrides headers)")] = None,
) -> None:
    """Surface mesh (meters) of the largest object in a CT volume: skin.ply (+ bone.ply), ct_mesh.json."""
    from simgen.assets import ct

    report, _ = ct.build_ct_meshes(volume, out, skin_threshold=skin_threshold, bone_threshold=bone_threshold,
                                   faces=faces, smooth=smooth, spacing=ct.parse_spacing(spacing))
    typer.echo(f"{out / 'skin.ply'}: {report.faces} faces, watertight={report.watertight}, "
               f"volume {report.volume_m3 * 1e6:.3f} cm^3, threshold {report.threshold:g}")
    if not report.watertight:
        typer.echo("warning: the mesh is not watertight", err=True)


@app.command("mouse")
def mouse(
    out: OutDir,
    faces: Annotated[int, typer.Option(help="target face count of the body mesh", min=4)] = 30000,
    voxel_mm: Annotated[float, typer.Option(help="phantom CT voxel size in mm", min=0.01)] = 0.3,
) -> None:
    """Build the bundled mouse from its phantom CT: mouse.glb + mouse.json (+ mouse.blend)."""
    from simgen.assets.mouse import build_mouse

    doc = build_mouse(out, voxel_mm=voxel_mm, faces=faces)
    prov = doc["provenance"]
    typer.echo(f"{out}: {len(doc['bones'])} bones, {len(doc['keypoints'])} keypoints, "
               f"{prov['mesh']['faces']} faces, watertight={prov['mesh']['watertight']}, "
               f"{prov['timings']['total_s']} s")


@app.command("import")
def import_model(
    model: Annotated[Path, typer.Argument(help="rigged model: .blend, .glb/.gltf or .fbx")],
    keypoints: Annotated[Path, typer.Option("--keypoints", "-k", help="YAML: keypoint anchors (bone or vertex), "
                                                                      "joint limits, scale, yaw")],
    out: OutDir,
) -> None:
    """Turn a rigged model from elsewhere into a simgen animal asset (for `animal.asset: DIR`)."""
    from simgen.assets.external import import_rigged_model

    doc = import_rigged_model(model, keypoints, out)
    typer.echo(f"{out}: {len(doc['bones'])} bones, {len(doc['keypoints'])} keypoints "
               f"(scene: animal.asset: {out}, keypoints.names: {out / 'keypoints.yaml'})")
