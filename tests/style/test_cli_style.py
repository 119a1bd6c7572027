"""``simgen style train | apply | score`` through the typer sub-app (registered by the lead as ``style``)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from simgen.commands.style import app


def test_train_apply_score_classic(tmp_path, tiny_dataset, tiny_real):
    runner = CliRunner()
    model, styled = tmp_path / "model", tmp_path / "styled"
    res = runner.invoke(app, ["train", "--synthetic", str(tiny_dataset), "--real", str(tiny_real),
                              "--out", str(model), "--method", "classic", "-q"])
    assert res.exit_code == 0, res.output
    assert "wrote classic model" in res.output and (model / "sheet.png").is_file()

    res = runner.invoke(app, ["apply", str(model), str(tiny_dataset), "--out", str(styled), "-q"])
    assert res.exit_code == 0, res.output
    assert "dropped by the gate" in res.output

    res = runner.invoke(app, ["score", str(styled), "--real", str(tiny_real), "--reference", str(tiny_dataset),
                              "--n", "6", "--n-real", "8", "--json", str(tmp_path / "score.json")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "score.json").read_text())
    assert set(data["dataset"]["kid"]) == {"cnn", "classic", "cnn_crop", "classic_crop"}
    assert data["reference"] is not None and 0.0 <= data["dataset"]["c2st"]["frame"] <= 1.0
    assert data["geometry"]["silhouette_iou_median"] > 0.9
    assert "KID vs real" in res.output and "raw render" in res.output


def test_bad_real_source_is_a_clear_error(tmp_path, tiny_dataset):
    from simgen.errors import SimgenError

    res = CliRunner().invoke(app, ["train", "--synthetic", str(tiny_dataset), "--real", str(tmp_path / "no.mp4"),
                                   "--out", str(tmp_path / "m")])
    assert res.exit_code != 0
    assert isinstance(res.exception, SimgenError) and "no such video" in str(res.exception)
