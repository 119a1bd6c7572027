import json

import nibabel
import numpy as np
import pytest
import tifffile
from ct_shapes import AIR, TISSUE, capsule_volume, ellipsoid_volume

from simgen.assets import ct
from simgen.assets.ct import VolumeError, read_volume, volume_to_mesh

SPACING = np.array([0.2e-3, 0.25e-3, 0.3e-3])  # anisotropic on purpose: spacing must be honoured


def write_nifti(path, data, spacing_m):
    affine = np.diag([*(np.asarray(spacing_m) * 1e3), 1.0])  # NIfTI default unit: mm
    img = nibabel.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm")
    nibabel.save(img, str(path))


def write_tiff_stack(path, data, spacing_m):
    """ImageJ hyperstack: pages along axis 0 (z), spacing in um."""
    um = np.asarray(spacing_m) * 1e6
    tifffile.imwrite(str(path), data.astype(np.float32), imagej=True,
                     resolution=(1 / um[2], 1 / um[1]), metadata={"spacing": um[0], "unit": "um", "axes": "ZYX"})


@pytest.fixture(scope="module")
def ellipsoid():
    return ellipsoid_volume([4e-3, 3e-3, 2.4e-3], SPACING, (50, 32, 22))


@pytest.fixture(scope="module")
def capsule():
    return capsule_volume(1.5e-3, 6e-3, SPACING, (52, 18, 15))


def _check(mesh, report, vol, area):
    assert report.watertight and mesh.is_watertight
    assert not np.isnan(mesh.vertices).any()
    assert mesh.volume == pytest.approx(vol, rel=0.02)
    assert mesh.area == pytest.approx(area, rel=0.02)


@pytest.mark.parametrize("shape", ["ellipsoid", "capsule"])
@pytest.mark.parametrize("fmt", ["nifti", "tiff"])
def test_round_trip_volume_and_area_within_2_percent(tmp_path, request, shape, fmt):
    data, vol, area = request.getfixturevalue(shape)
    if fmt == "nifti":
        path = tmp_path / "v.nii.gz"
        write_nifti(path, data, SPACING)
        v = read_volume(path)
        np.testing.assert_allclose(v.spacing, SPACING, rtol=1e-5)
    else:
        path = tmp_path / "v.tif"
        write_tiff_stack(path, data, SPACING)
        v = read_volume(path)
        np.testing.assert_allclose(v.spacing, SPACING, rtol=1e-4)
    mesh, report = volume_to_mesh(v, threshold=0.5 * (AIR + TISSUE), faces=6000)
    assert report.faces <= 6000
    _check(mesh, report, vol, area)


def test_tiff_folder_with_explicit_spacing_and_otsu(tmp_path, ellipsoid):
    data, vol, area = ellipsoid
    folder = tmp_path / "stack"
    folder.mkdir()
    for i, sl in enumerate(data):
        tifffile.imwrite(str(folder / f"slice_{i:03d}.tif"), sl)
    with pytest.raises(VolumeError, match="spacing"):
        read_volume(folder)
    v = read_volume(folder, spacing=SPACING)
    mesh, report = volume_to_mesh(v, threshold="otsu", faces=6000)
    assert AIR < report.threshold < TISSUE
    assert mesh.volume == pytest.approx(vol, rel=0.05)  # Otsu is not the exact midpoint


def test_nrrd_npy_and_dicom_readers_keep_geometry(tmp_path, capsule):
    import nrrd

    data, vol, area = capsule
    nrrd.write(str(tmp_path / "v.nrrd"), data, {"space": "left-posterior-superior",
                                               "space directions": np.diag(SPACING * 1e3),
                                               "space origin": [1.0, 2.0, 3.0]})
    np.save(tmp_path / "v.npy", data)
    write_dicom_series(tmp_path / "dcm", data, SPACING)
    for path, kw in [(tmp_path / "v.nrrd", {}), (tmp_path / "v.npy", {"spacing": SPACING}), (tmp_path / "dcm", {})]:
        v = read_volume(path, **kw)
        np.testing.assert_allclose(np.sort(v.spacing), np.sort(SPACING), rtol=1e-4)
        mesh, report = volume_to_mesh(v, threshold=-480, faces=5000)
        _check(mesh, report, vol, area)
    assert read_volume(tmp_path / "v.nrrd").affine[:3, 3] == pytest.approx([1e-3, 2e-3, 3e-3])


def write_dicom_series(folder, data, spacing_m):
    """One CT slice per file along axis 0, HU via RescaleIntercept."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir()
    series = generate_uid()
    sp = np.asarray(spacing_m) * 1e3
    for k, sl in enumerate(data):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID = series
        ds.Modality = "CT"
        ds.Rows, ds.Columns = sl.shape
        ds.PixelSpacing = [float(sp[1]), float(sp[2])]
        ds.ImageOrientationPatient = [0, 0, 1, 0, 1, 0]  # rows along z, columns along y
        ds.ImagePositionPatient = [float(k * sp[0]), 0.0, 0.0]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = np.round(sl + 1024).astype(np.uint16).tobytes()
        # shuffle file order: the reader must sort by position, not by name
        ds.save_as(str(folder / f"{(k * 7) % len(data):03d}.dcm"), enforce_file_format=True)


def test_keeps_largest_component_and_fills_holes():
    data = np.full((40, 40, 40), AIR, np.float32)
    data[5:30, 5:30, 5:30] = TISSUE
    data[12:20, 12:20, 12:20] = AIR  # an internal cavity
    data[34:37, 34:37, 34:37] = TISSUE  # a speck of dust
    v = ct.Volume(data, ct.spacing_affine([1e-4] * 3))
    mesh, report = volume_to_mesh(v, threshold=-480, faces=None, smooth_iterations=0)
    assert report.components_dropped == 1
    assert report.holes_filled_voxels == 8**3
    assert mesh.body_count == 1 and mesh.is_watertight
    assert mesh.volume == pytest.approx((25e-4) ** 3, rel=0.03)


def test_clear_errors(tmp_path):
    with pytest.raises(VolumeError, match="no such file"):
        read_volume(tmp_path / "missing.nii")
    (tmp_path / "v.xyz").write_text("x")
    with pytest.raises(VolumeError, match="unknown volume format"):
        read_volume(tmp_path / "v.xyz")
    (tmp_path / "bad.nii").write_bytes(b"not a nifti file at all")
    with pytest.raises(VolumeError, match="cannot read volume"):
        read_volume(tmp_path / "bad.nii")
    np.save(tmp_path / "v.npy", np.zeros((4, 4, 4), np.float32))
    with pytest.raises(VolumeError, match="spacing"):
        read_volume(tmp_path / "v.npy")
    with pytest.raises(VolumeError, match="outside"):
        read_volume(tmp_path / "v.npy", spacing=[1.0, 1.0, 1.0])  # 1 m voxels: a units mistake
    v = read_volume(tmp_path / "v.npy", spacing=1e-4)
    with pytest.raises(VolumeError, match="no voxel is above"):
        volume_to_mesh(v, threshold=100)
    with pytest.raises(VolumeError, match="constant"):
        volume_to_mesh(v, threshold="otsu")
    with pytest.raises(VolumeError, match="neither a number"):
        volume_to_mesh(v, threshold="high")


def test_cli_from_ct(tmp_path, ellipsoid, run_cli):
    data, vol, _ = ellipsoid
    write_nifti(tmp_path / "e.nii", data, SPACING)
    code, out, err = run_cli("asset", "from-ct", tmp_path / "e.nii", "--out", tmp_path / "o",
                             "--skin-threshold", "-480", "--faces", "4000")
    assert code == 0, out + err
    doc = json.loads((tmp_path / "o" / "ct_mesh.json").read_text())
    assert doc["skin"]["watertight"] and doc["skin"]["faces"] <= 4000
    assert doc["skin"]["volume_m3"] == pytest.approx(vol, rel=0.02)
    assert (tmp_path / "o" / "skin.ply").stat().st_size > 0
    code, _, err = run_cli("asset", "from-ct", tmp_path / "nope.nii", "--out", tmp_path / "o2")
    assert code == 1 and "no such file" in err
