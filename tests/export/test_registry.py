"""The format registry and the ``simgen export`` command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from simgen.commands.export import ExportFormatName
from simgen.commands.export import export as export_command
from simgen.errors import SimgenError
from simgen.export.registry import FORMAT_NAMES, FORMATS, MULTI_ANIMAL_FORMATS, export


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("export")(export_command)
    app.command("noop")(lambda: None)  # two commands, so typer keeps the subcommand name
    return app


def test_registry_lists_every_format_and_cli_uses_it():
    assert FORMAT_NAMES == ("dlc", "sleap", "coco", "yolo", "lightning-pose", "nwb", "anipose", "dannce")
    assert [e.value for e in ExportFormatName] == list(FORMAT_NAMES)
    for f in FORMATS.values():
        assert callable(f.exporter())


def test_registry_import_is_light():
    code = "import sys, simgen.export.registry, simgen.commands.export; print('sleap_io' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_export_refuses_bad_requests(dataset_dir, tmp_path):
    with pytest.raises(SimgenError, match="unknown export format 'csv'"):
        export("csv", dataset_dir, tmp_path / "o")
    with pytest.raises(SimgenError, match="--occluded"):
        export("dlc", dataset_dir, tmp_path / "o", camera="top", occluded="hide")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("")
    with pytest.raises(SimgenError, match="not an empty folder"):
        export("dlc", dataset_dir, busy, camera="top")
    with pytest.raises(SimgenError, match="inside the dataset"):
        export("dlc", dataset_dir, dataset_dir / "exp", camera="top")
    with pytest.raises(SimgenError, match="not found"):
        export("dlc", tmp_path, tmp_path / "o2")


def test_cli_export_runs_and_reports_errors(dataset_dir, tmp_path, run_cli):
    runner = CliRunner()
    out = tmp_path / "cli"
    res = runner.invoke(_app(), ["export", str(dataset_dir), "--format", "dlc", "--out", str(out),
                                 "--keypoints", "openfield_dlc", "--camera", "top", "--occluded", "drop"])
    assert res.exit_code == 0, res.output
    assert (out / "config.yaml").is_file()
    code, out, err = run_cli("export", dataset_dir, "--format", "dlc", "--out", tmp_path / "x")
    assert code == 1
    assert "pick one with --camera" in err
    assert "Traceback" not in out + err
    res = runner.invoke(_app(), ["export", str(dataset_dir), "--format", "csv", "--out", str(tmp_path / "y")])
    assert res.exit_code == 2  # click rejects a choice not in the registry


def test_keypoint_set_from_a_yaml_path(dataset_dir, tmp_path):
    import json

    import numpy as np

    kset = tmp_path / "tiny.yaml"
    kset.write_text("name: tiny\nkeypoints:\n  nose: snout\n  tail: {mean: [tail_base, tail_tip]}\nskeleton: [[nose, tail]]\n")
    path = export("coco", dataset_dir, tmp_path / "c", camera="top", keypoints=str(kset))
    data = json.loads(path.read_text())
    assert data["categories"][0]["keypoints"] == ["nose", "tail"]
    v = np.array([a["keypoints"][2::3] for a in data["annotations"]])
    assert (v[:, 1] == 0).all()  # tail_tip is outside the top image, so the mean is unlabeled
    assert (v[:, 0] > 0).all()


def test_each_format_declares_its_occluded_default():
    import importlib

    from simgen.export.labels import OCCLUDED_CHOICES

    defaults = {n: importlib.import_module(f.module).OCCLUDED_DEFAULT for n, f in FORMATS.items()}
    assert set(defaults.values()) <= set(OCCLUDED_CHOICES)
    assert defaults["dlc"] == "drop"  # DeepLabCut: occluded points stay unlabeled
    assert defaults["coco"] == defaults["sleap"] == defaults["lightning-pose"] == "keep"  # with their flags


def test_cli_occluded_overrides_the_format_default(dataset_dir, tmp_path):
    from simgen.export.labels import read_dlc

    runner = CliRunner()
    for flag, out in (([], tmp_path / "d"), (["--occluded", "keep"], tmp_path / "k")):
        res = runner.invoke(_app(), ["export", str(dataset_dir), "-f", "dlc", "-o", str(out), "--camera", "side", *flag])
        assert res.exit_code == 0, res.output
    n_default, n_keep = ((read_dlc(o).visibility > 0).sum() for o in (tmp_path / "d", tmp_path / "k"))
    assert n_keep > n_default


def test_formats_without_identities_refuse_several_animals(multi_dataset, tmp_path):
    assert MULTI_ANIMAL_FORMATS == ("dlc", "sleap", "coco", "yolo")
    for name in FORMAT_NAMES:
        if name in MULTI_ANIMAL_FORMATS:
            continue
        camera = None if FORMATS[name].multi_camera else "top"
        with pytest.raises(SimgenError, match=rf"several animals \(mouse0, mouse1, mouse2\); {name} exports one "
                                              r"animal\. Formats of several animals: dlc, sleap, coco, yolo"):
            export(name, multi_dataset, tmp_path / name, camera=camera)
        assert not (tmp_path / name).exists()
