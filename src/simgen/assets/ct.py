"""CT volume -> surface mesh: volume readers, thresholds, marching cubes, cleanup.

A :class:`Volume` is an intensity array indexed ``[i, j, k]`` plus a 4x4 affine
mapping voxel indices to physical coordinates in **meters**. Readers keep the file's
spacing and orientation (NIfTI affine, NRRD space directions, DICOM patient
positions, ImageJ TIFF spacing); ``.npy`` and plain TIFF need an explicit spacing.

The mesh path (:func:`volume_to_mesh`): threshold -> keep the largest connected
component -> fill interior holes -> marching cubes on the (cleaned) intensities, so
partial-volume voxels place the surface between voxels -> Taubin smoothing (does not
shrink) -> quadric decimation to a face budget -> watertightness check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from simgen.errors import SimgenError, UsageError

# Voxel spacings outside this range are almost always a units mistake (mm read as m,
# or a missing header); a real scan from micro-CT to clinical CT lies inside it.
MIN_SPACING_M = 1e-6
MAX_SPACING_M = 0.02

VOLUME_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".tif", ".tiff", ".npy", ".dcm", "<dicom folder>", "<tiff folder>")

_UNIT_TO_M = {"m": 1.0, "meter": 1.0, "mm": 1e-3, "millimeter": 1e-3, "um": 1e-6, "micron": 1e-6,
              "µm": 1e-6, "\\u00B5m": 1e-6, "micrometer": 1e-6, "cm": 1e-2, "nm": 1e-9}


class VolumeError(SimgenError):
    """A CT volume could not be read or gives no usable surface."""


@dataclass
class Volume:
    """Intensities ``data[i, j, k]`` and ``affine`` (voxel index -> meters)."""

    data: np.ndarray
    affine: np.ndarray
    source: str = ""

    @property
    def spacing(self) -> np.ndarray:
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    def check(self) -> "Volume":
        if self.data.ndim != 3:
            raise VolumeError(f"{self.source or 'volume'}: expected a 3-D volume, got shape {self.data.shape}")
        if min(self.data.shape) < 2:
            raise VolumeError(f"{self.source or 'volume'}: volume {self.data.shape} is too thin for a surface")
        if not (np.issubdtype(self.data.dtype, np.number) or self.data.dtype == bool):
            raise VolumeError(f"{self.source or 'volume'}: voxel values are not numbers ({self.data.dtype})")
        if not np.isfinite(self.data).any():
            raise VolumeError(f"{self.source or 'volume'}: the volume has no finite values (every voxel is NaN "
                              "or infinite); the file is damaged or was saved without its data")
        if not np.all(np.isfinite(self.affine)):
            raise VolumeError(f"{self.source or 'volume'}: voxel-to-world transform is not finite")
        sp = self.spacing
        if np.any(sp < MIN_SPACING_M) or np.any(sp > MAX_SPACING_M):
            raise VolumeError(
                f"{self.source or 'volume'}: voxel spacing {_fmt_mm(sp)} mm is outside "
                f"{MIN_SPACING_M * 1e3:g}-{MAX_SPACING_M * 1e3:g} mm; check the file's units or pass --spacing")
        if abs(np.linalg.det(self.affine[:3, :3])) < 1e-30:
            raise VolumeError(f"{self.source or 'volume'}: voxel axes are degenerate")
        return self


def _fmt_mm(sp: np.ndarray) -> str:
    return " x ".join(f"{s * 1e3:.4g}" for s in sp)


def spacing_affine(spacing_m: Sequence[float]) -> np.ndarray:
    a = np.eye(4)
    a[[0, 1, 2], [0, 1, 2]] = np.asarray(spacing_m, dtype=float)
    return a


def _need_spacing(spacing, path: Path, what: str) -> np.ndarray:
    if spacing is None:
        raise VolumeError(f"{path}: {what} has no voxel spacing; pass --spacing SX,SY,SZ (meters)")
    sp = np.broadcast_to(np.asarray(spacing, dtype=float), (3,)).copy()
    return sp


# ---------------------------------------------------------------- readers
def read_volume(path: str | Path, spacing: Sequence[float] | float | None = None) -> Volume:
    """Read a CT volume; ``spacing`` (meters, per axis or one number) overrides the file's."""
    path = Path(path)
    if not path.exists():
        raise VolumeError(f"{path}: no such file or folder")
    name = path.name.lower()
    try:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if any(p.suffix.lower() in (".tif", ".tiff") for p in files):
                vol = _read_tiff_dir(path, files, spacing)
            else:
                vol = _read_dicom_dir(path, files)
        elif name.endswith((".nii", ".nii.gz")):
            vol = _read_nifti(path)
        elif name.endswith((".nrrd", ".nhdr")):
            vol = _read_nrrd(path)
        elif name.endswith((".tif", ".tiff")):
            vol = _read_tiff_file(path, spacing)
        elif name.endswith(".npy"):
            vol = Volume(np.load(path, allow_pickle=False), spacing_affine(_need_spacing(spacing, path, ".npy")))
        elif name.endswith(".dcm"):
            vol = _read_dicom_dir(path.parent, sorted(p for p in path.parent.iterdir() if p.is_file()))
        else:
            raise VolumeError(f"{path}: unknown volume format; use one of {', '.join(VOLUME_SUFFIXES)}")
    except VolumeError:
        raise
    except Exception as exc:  # a reader library's own error: say which file and why
        raise VolumeError(f"{path}: cannot read volume ({type(exc).__name__}: {exc})") from exc
    tiff_like = name.endswith((".npy", ".tif", ".tiff")) or (path.is_dir() and _is_tiff_dir(path))
    if spacing is not None and not tiff_like:  # those readers used `spacing` already
        sp = _need_spacing(spacing, path, "")
        vol.affine = vol.affine @ np.diag([*(sp / vol.spacing), 1.0])
    vol.source = str(path)
    vol.data = np.asarray(vol.data)
    if vol.data.ndim == 4 and vol.data.shape[-1] == 1:
        vol.data = vol.data[..., 0]
    return vol.check()


def _is_tiff_dir(path: Path) -> bool:
    return any(p.suffix.lower() in (".tif", ".tiff") for p in path.iterdir())


def _read_nifti(path: Path) -> Volume:
    import nibabel  # optional heavy reader, imported only for NIfTI

    img = nibabel.load(str(path))
    data = np.asarray(img.dataobj, dtype=np.float32)  # applies scl_slope/inter
    space_unit = img.header.get_xyzt_units()[0] or "mm"  # NIfTI's default unit is mm
    scale = {"meter": 1.0, "mm": 1e-3, "micron": 1e-6}.get(space_unit, 1e-3)
    affine = np.array(img.affine, dtype=float)
    affine[:3, :] *= scale
    return Volume(data, affine)


def _read_nrrd(path: Path) -> Volume:
    import nrrd

    data, hdr = nrrd.read(str(path))
    unit = 1e-3  # NRRD from CT/medical tools is in mm unless it says otherwise
    units = hdr.get("space units")
    if units is not None and len(units) and str(units[0]).strip().lower() in _UNIT_TO_M:
        unit = _UNIT_TO_M[str(units[0]).strip().lower()]
    affine = np.eye(4)
    if "space directions" in hdr and hdr["space directions"] is not None:
        dirs = np.array([d for d in hdr["space directions"] if d is not None and np.all(np.isfinite(d))], dtype=float)
        affine[:3, :3] = dirs.T * unit
        origin = hdr.get("space origin")
        if origin is not None:
            affine[:3, 3] = np.asarray(origin, dtype=float) * unit
    elif "spacings" in hdr:
        affine[:3, :3] = np.diag(np.asarray(hdr["spacings"], dtype=float)[:3] * unit)
    else:
        raise VolumeError(f"{path}: NRRD header has neither 'space directions' nor 'spacings'")
    return Volume(np.asarray(data, dtype=np.float32), affine)


def _tiff_spacing(tif, path: Path, spacing) -> np.ndarray:
    """ImageJ metadata (``spacing`` + ``unit``) and X/YResolution tags, else ``spacing``."""
    if spacing is not None:
        return _need_spacing(spacing, path, "")
    ij = tif.imagej_metadata or {}
    page = tif.pages[0]
    tags = page.tags
    if "spacing" in ij and "XResolution" in tags:
        unit = str(ij.get("unit", "mm")).strip().lower()
        if unit not in _UNIT_TO_M:
            raise VolumeError(f"{path}: unknown ImageJ unit {unit!r}; pass --spacing")
        s = _UNIT_TO_M[unit]
        xr = tags["XResolution"].value
        yr = tags["YResolution"].value if "YResolution" in tags else xr
        dx, dy = xr[1] / xr[0], yr[1] / yr[0]
        return np.array([float(ij["spacing"]) * s, dy * s, dx * s])
    raise VolumeError(f"{path}: TIFF has no ImageJ spacing metadata; pass --spacing SZ,SY,SX (meters)")


def _read_tiff_file(path: Path, spacing) -> Volume:
    import tifffile

    with tifffile.TiffFile(str(path)) as tif:
        data = tif.asarray()
        sp = _tiff_spacing(tif, path, spacing)
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 3:
        raise VolumeError(f"{path}: expected a multi-page (z, y, x) TIFF stack, got shape {data.shape}")
    # the array is (z, y, x); keep that index order, spacing matches it
    return Volume(data, spacing_affine(sp))


def _read_tiff_dir(path: Path, files: list[Path], spacing) -> Volume:
    import tifffile

    tifs = [p for p in files if p.suffix.lower() in (".tif", ".tiff")]
    slices = [np.asarray(tifffile.imread(str(p)), dtype=np.float32) for p in tifs]
    shapes = {s.shape for s in slices}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise VolumeError(f"{path}: TIFF slices must all be 2-D and the same size, got {sorted(shapes)}")
    with tifffile.TiffFile(str(tifs[0])) as tif:
        sp = _tiff_spacing(tif, path, spacing)
    return Volume(np.stack(slices, axis=0), spacing_affine(sp))


def _read_dicom_dir(path: Path, files: list[Path]) -> Volume:
    import pydicom

    dsets = []
    for p in files:
        try:
            ds = pydicom.dcmread(str(p))
        except Exception:
            continue  # DICOMDIR, readme files and such: skip what is not a slice
        if "PixelData" in ds:
            dsets.append(ds)
    if not dsets:
        raise VolumeError(f"{path}: no DICOM slices found")
    series = {str(getattr(ds, "SeriesInstanceUID", "")) for ds in dsets}
    if len(series) > 1:
        raise VolumeError(f"{path}: folder holds {len(series)} DICOM series; put one series per folder")
    if len(dsets) < 2:
        raise VolumeError(f"{path}: a DICOM series needs at least 2 slices, found {len(dsets)}")
    iop = np.array(dsets[0].ImageOrientationPatient, dtype=float)
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    pos = np.array([np.array(ds.ImagePositionPatient, dtype=float) for ds in dsets])
    order = np.argsort(pos @ normal)
    dsets = [dsets[i] for i in order]
    pos = pos[order]
    steps = np.diff(pos @ normal)
    if np.any(steps <= 0) or np.ptp(steps) > 0.01 * abs(np.mean(steps)) + 1e-6:
        raise VolumeError(f"{path}: DICOM slices are not evenly spaced (steps {np.round(steps, 4).tolist()} mm)")
    dr, dc = (float(v) for v in dsets[0].PixelSpacing)  # row spacing, column spacing (mm)
    slices = []
    for ds in dsets:
        arr = ds.pixel_array.astype(np.float32)
        arr = arr * float(getattr(ds, "RescaleSlope", 1.0)) + float(getattr(ds, "RescaleIntercept", 0.0))
        slices.append(arr)
    data = np.stack(slices, axis=0)  # (slice, row, column)
    affine = np.eye(4)
    # index k (slice) moves along the slice normal, i (row) along the column direction, j along the row
    affine[:3, 0] = (pos[-1] - pos[0]) / (len(pos) - 1)
    affine[:3, 1] = col * dr
    affine[:3, 2] = row * dc
    affine[:3, 3] = pos[0]
    affine[:3, :] *= 1e-3
    return Volume(data, affine)


# ---------------------------------------------------------------- thresholds
def otsu_threshold(data: np.ndarray, bins: int = 256, source: str = "") -> float:
    """Otsu's threshold on the intensity histogram (finite values only)."""
    vals = np.asarray(data, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        raise VolumeError(f"{source or 'volume'}: the volume has no finite values (every voxel is NaN or infinite)")
    if vals.min() == vals.max():
        raise VolumeError(f"{source or 'volume'}: the volume is constant ({vals[0]:g} in every finite voxel); "
                          "no threshold separates tissue from background")
    hist, edges = np.histogram(vals, bins=bins)
    centers = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(edges[1:][np.argmax(between[:-1])])


def resolve_threshold(volume: Volume, threshold: float | str) -> float:
    if isinstance(threshold, str):
        if threshold.strip().lower() == "otsu":
            return otsu_threshold(volume.data, source=volume.source)
        try:
            return float(threshold)
        except ValueError:
            raise VolumeError(f"threshold {threshold!r} is neither a number (HU) nor 'otsu'") from None
    return float(threshold)


# ---------------------------------------------------------------- volume -> mesh
@dataclass
class MeshReport:
    threshold: float
    voxels_inside: int
    components_dropped: int
    holes_filled_voxels: int
    faces_marching_cubes: int
    faces: int
    vertices: int
    watertight: bool
    volume_m3: float
    area_m2: float
    extent_m: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def clean_mask(volume: Volume, threshold: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Inside-mask of the largest component with holes filled.

    Returns (cleaned intensities, mask, components dropped, hole voxels filled). Voxels
    of dropped components become the background value; filled holes the tissue value,
    so marching cubes on the returned intensities sees one closed object.
    """
    from scipy import ndimage

    data = np.asarray(volume.data, dtype=np.float32)
    if not np.all(np.isfinite(data)):
        data = np.nan_to_num(data, nan=float(np.nanmin(data)), posinf=float(np.nanmax(data)),
                             neginf=float(np.nanmin(data)))
    inside = data > threshold
    if not inside.any():
        raise VolumeError(f"{volume.source or 'volume'}: no voxel is above the threshold {threshold:g} "
                          f"(intensities span {data.min():g}..{data.max():g})")
    if inside.all():
        raise VolumeError(f"{volume.source or 'volume'}: every voxel is above the threshold {threshold:g}; "
                          f"nothing separates the body from the background")
    labels, n = ndimage.label(inside)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    keep = labels == int(np.argmax(sizes))
    filled = ndimage.binary_fill_holes(keep)
    holes = filled & ~keep
    lo, hi = float(data.min()), float(data.max())
    # keep the partial-volume rim (one voxel around the object) so the surface stays sub-voxel
    near = ndimage.binary_dilation(filled, iterations=1)
    out = np.where(near, data, lo).astype(np.float32)
    out[holes] = max(hi, threshold + 1.0)
    # a dropped component touching the rim must not leak back in
    out[near & ~filled & (data > threshold)] = lo
    return out, filled, int(n - 1), int(holes.sum())


def volume_to_mesh(volume: Volume, threshold: float | str = "otsu", faces: int | None = 20000,
                   smooth_iterations: int = 10, step_size: int = 1):
    """Surface of the largest object above ``threshold`` as a ``trimesh.Trimesh`` (meters)."""
    import trimesh
    from skimage import measure

    volume.check()
    thr = resolve_threshold(volume, threshold)
    data, mask, dropped, holes = clean_mask(volume, thr)
    # pad so objects touching the border still close
    lo = float(data.min())
    padded = np.pad(data, 1, mode="constant", constant_values=lo)
    verts, tris, _, _ = measure.marching_cubes(padded, level=thr, step_size=step_size, allow_degenerate=False)
    verts = verts - 1.0
    # Work in millimeters: trimesh merges vertices closer than 1e-8 units, which in meters
    # would fuse the near-coincident vertices marching cubes makes and break the manifold.
    world_mm = (verts @ volume.affine[:3, :3].T + volume.affine[:3, 3]) * 1e3
    if np.linalg.det(volume.affine[:3, :3]) < 0:  # a mirrored voxel grid flips the winding
        tris = tris[:, ::-1]
    # marching cubes orients faces toward decreasing values; we want outward normals
    mesh = trimesh.Trimesh(vertices=world_mm, faces=tris[:, ::-1], process=True)
    mc_faces = len(mesh.faces)
    if mesh.volume < 0:
        mesh.invert()
    if smooth_iterations > 0:
        trimesh.smoothing.filter_taubin(mesh, lamb=0.5, nu=0.53, iterations=smooth_iterations)
    if faces is not None and len(mesh.faces) > faces:
        mesh = decimate(mesh, faces)
    mesh.remove_unreferenced_vertices()
    watertight = bool(mesh.is_watertight)
    mesh = trimesh.Trimesh(vertices=mesh.vertices * 1e-3, faces=mesh.faces, process=False)
    if not np.all(np.isfinite(mesh.vertices)):
        raise VolumeError(f"{volume.source or 'volume'}: mesh has non-finite vertices")
    report = MeshReport(threshold=thr, voxels_inside=int(mask.sum()), components_dropped=dropped,
                        holes_filled_voxels=holes, faces_marching_cubes=mc_faces, faces=len(mesh.faces),
                        vertices=len(mesh.vertices), watertight=watertight,
                        volume_m3=float(mesh.volume), area_m2=float(mesh.area),
                        extent_m=[float(v) for v in mesh.extents])
    return mesh, report


def decimate(mesh, faces: int):
    """Quadric decimation to ``faces``; keeps a closed mesh closed where it can."""
    import trimesh

    target = max(int(faces), 8)
    out = mesh.simplify_quadric_decimation(face_count=target)
    out = trimesh.Trimesh(out.vertices, out.faces, process=True)
    if mesh.is_watertight and not out.is_watertight:
        trimesh.repair.fill_holes(out)
    if mesh.is_watertight and not out.is_watertight:
        # aggressive collapse broke the surface; a gentler target usually keeps it closed
        out2 = mesh.simplify_quadric_decimation(face_count=int(target * 1.3))
        out2 = trimesh.Trimesh(out2.vertices, out2.faces, process=True)
        if out2.is_watertight:
            out = out2
    return out


def write_mesh(mesh, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mesh.export(str(path))
    return path


def parse_spacing(text: str | None) -> list[float] | None:
    """``--spacing``: one number (isotropic) or three, in meters."""
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--spacing {text!r}: give one or three numbers in meters, e.g. 5e-5,5e-5,1e-4") from None
    if len(vals) not in (1, 3):
        raise UsageError(f"--spacing {text!r}: give one or three numbers in meters")
    return vals * 3 if len(vals) == 1 else vals


def build_ct_meshes(volume: str | Path, out: str | Path, *, skin_threshold: float | str = "otsu",
                    bone_threshold: float | None = None, faces: int = 30000, smooth: int = 10,
                    spacing: Sequence[float] | None = None) -> tuple[MeshReport, dict[str, Any]]:
    """``simgen asset from-ct``: OUT/skin.ply (+ bone.ply) and OUT/ct_mesh.json; returns the
    skin's report and the JSON document."""
    import json
    import time

    from simgen.dataset.writer import atomic_write_bytes

    out = Path(out)
    t0 = time.perf_counter()
    vol = read_volume(volume, spacing)
    mesh, report = volume_to_mesh(vol, skin_threshold, faces=faces, smooth_iterations=smooth)
    out.mkdir(parents=True, exist_ok=True)
    write_mesh(mesh, out / "skin.ply")
    doc: dict[str, Any] = {"volume": str(volume), "shape": list(vol.data.shape),
                           "spacing_m": [float(s) for s in vol.spacing], "skin": report.to_dict()}
    if bone_threshold is not None:
        bone, bone_report = volume_to_mesh(vol, bone_threshold, faces=faces, smooth_iterations=smooth)
        write_mesh(bone, out / "bone.ply")
        doc["bone"] = bone_report.to_dict()
    doc["seconds"] = round(time.perf_counter() - t0, 2)
    atomic_write_bytes(out / "ct_mesh.json", json.dumps(doc, indent=1).encode())
    return report, doc
