"""Bad command-line values: a usage error (exit 2, one ``error:`` line naming the option) before
any work; the same for values only library code can check (``UsageError``). Edge counts that
are valid but leave less to do than asked say so."""

from __future__ import annotations

import inspect
import typing

import numpy as np
import pytest
import typer

# Numeric options without a lower bound, and why that is right.
UNBOUNDED = {
    ("asset", "from-ct", "bone_threshold"): "a level in HU: negative values are real thresholds",
    ("pose", "train", "steps"): "checked with the config's own rule (steps >= 1, exit 2: test_input_validation)",
    ("sweep", "scale_frames"): "checked by the sweep file's rule (> 0, exit 2)",
}


def _commands(app: typer.Typer, path: tuple[str, ...] = ()):
    for c in app.registered_commands:
        yield (*path, c.name or c.callback.__name__.replace("_", "-")), c.callback
    for g in app.registered_groups:
        yield from _commands(g.typer_instance, (*path, g.name))


def test_every_numeric_option_has_a_lower_bound():
    from simgen.cli import app

    seen, missing = 0, []
    for path, callback in _commands(app):
        for name, hint in typing.get_type_hints(callback, include_extras=True).items():
            if typing.get_origin(hint) is not typing.Annotated:
                continue
            base, *meta = typing.get_args(hint)
            if not ({int, float} & set(typing.get_args(base) or (base,))):
                continue
            info = next(m for m in meta if isinstance(m, (typer.models.OptionInfo, typer.models.ArgumentInfo)))
            seen += 1
            if info.min is None and (*path, name) not in UNBOUNDED:
                missing.append(" ".join((*path, name)))
            default = inspect.signature(callback).parameters[name].default
            if info.min is not None and isinstance(default, (int, float)) and not isinstance(default, bool):
                assert default >= info.min, (path, name, default, info.min)
    assert seen > 40 and missing == [], missing


@pytest.mark.parametrize("args, option", [
    (["gap", "ds", "v.mp4", "--out", "r", "--real-frames", "0"], "--real-frames"),
    (["gap", "ds", "v.mp4", "--out", "r", "--renders", "4"], "--renders"),  # the analysis needs 5
    (["suggest", "v.mp4", "--model", "m", "--out", "p", "--n", "0"], "--n"),
    (["suggest", "v.mp4", "--model", "m", "--out", "p", "--sample", "0"], "--sample"),
    (["suggest", "v.mp4", "--model", "m", "--out", "p", "--min-gap", "-1"], "--min-gap"),
    (["style", "train", "ds", "--real", "v.mp4", "--out", "m", "--n-real", "0"], "--n-real"),
    (["style", "train", "ds", "--real", "v.mp4", "--out", "m", "--n-synthetic", "0"], "--n-synthetic"),
    (["style", "train", "ds", "--real", "v.mp4", "--out", "m", "--seed", "-1"], "--seed"),
    (["render", "s.yaml", "--out", "o", "--frames", "0"], "--frames"),
    (["rig", "from-video", "v.mp4", "--out", "o", "--samples", "0"], "--samples"),
    (["rig", "from-video", "v.mp4", "--out", "o", "--max-plates", "0"], "--max-plates"),
    (["preview", "ds", "--out", "p.png", "--n", "0"], "--n"),
    (["pose", "predict", "m", "v.mp4", "--out", "o", "--max-frames", "0"], "--max-frames"),
    (["verify", "ds", "--show", "-1"], "--show"),
    (["farm", "submit", "s.yaml", "--out", "o", "--cpus", "0"], "--cpus"),
    (["asset", "from-ct", "v.npy", "--out", "o", "--faces", "0"], "--faces"),
    (["suggest", "v.mp4", "--model", "m", "--out", "p", "--strategy", "best"], "--strategy"),
])
def test_a_bad_count_is_a_one_line_usage_error(run_cli, tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)  # nothing exists here: the value is refused before any file is read
    code, out, err = run_cli(*args)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and option in lines[0], err
    assert "--help" in lines[0] and "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_found_after_parsing_exit_2(run_cli, tmp_path):
    from export_fixtures import build_dataset

    ds = build_dataset(tmp_path / "ds", cameras=("top",), frames=2)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 64)
    cases = [
        (["rig", "from-video", video, "--out", tmp_path / "o", "--arena", "0", "0.3"], "--arena 0 0.3: width and height"),
        (["rig", "from-video", video, "--out", tmp_path / "o", "--arena", "0.5", "0.3", "--corners", "1,2,3"],
         "--corners needs 8 numbers"),
        (["asset", "from-ct", tmp_path / "v.npy", "--out", tmp_path / "o", "--spacing", "a,b"], "--spacing 'a,b'"),
        (["render", tmp_path / "s.yaml", "--out", tmp_path / "o", "--shard", "3/2"], "--shard '3/2': need 0 <= i < N"),
        (["export", ds, "--format", "coco", "--out", tmp_path / "e", "--keypoints", tmp_path / "kp.yaml"],
         "kp.yaml: keypoint set file not found"),
        (["export", ds, "--format", "coco", "--out", tmp_path / "e", "--keypoints", "no_such_set"],
         "no bundled keypoints config 'no_such_set'"),
        (["export", ds, "--format", "coco", "--out", tmp_path / "e", "--keypoints", ds], "keypoint set file is not a file"),
    ]
    for args, message in cases:
        code, out, err = run_cli(*args)
        assert code == 2 and message in err, (args, code, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err, err
    assert not (tmp_path / "o").exists() and not (tmp_path / "e").exists()


def test_shard_from_the_environment_is_a_runtime_error():
    from simgen.dataset.shards import parse_shard
    from simgen.errors import SimgenError, UsageError

    with pytest.raises(SimgenError) as info:
        parse_shard("auto", env={})  # not inside an array job: the command line is fine
    assert not isinstance(info.value, UsageError) and info.value.exit_code == 1
    with pytest.raises(UsageError):
        parse_shard("auto/x", env={})


def test_an_all_nan_ct_volume_says_so_and_names_the_file(run_cli, tmp_path):
    path = tmp_path / "scan.npy"
    np.save(path, np.full((6, 6, 6), np.nan, np.float32))
    code, out, err = run_cli("asset", "from-ct", path, "--out", tmp_path / "o", "--spacing", "1e-4")
    assert code == 1 and "Traceback" not in out + err
    assert err.strip() == (f"error: {path}: the volume has no finite values (every voxel is NaN or infinite); "
                           "the file is damaged or was saved without its data")
    assert not (tmp_path / "o").exists()
    np.save(path, np.full((6, 6, 6), 7.0, np.float32))
    code, _, err = run_cli("asset", "from-ct", path, "--out", tmp_path / "o", "--spacing", "1e-4")
    assert code == 1 and err.startswith(f"error: {path}: the volume is constant (7 in every finite voxel)")


def test_suggest_says_why_it_picked_fewer_than_asked(run_cli, tmp_path, monkeypatch):
    from gap_fixtures import oracle_model, real_frames, saved_untrained_model, write_video

    import simgen.pose.model as pm

    video = write_video(tmp_path / "session.avi", real_frames(40))
    model_dir = saved_untrained_model(tmp_path / "model")
    monkeypatch.setattr(pm, "load_model", lambda p: oracle_model())
    code, out, err = run_cli("suggest", video, "--model", model_dir, "--n", "30", "--sample", "12",
                             "--out", tmp_path / "p")
    assert code == 0, out + err
    assert ("warning: picked 12 frames, fewer than the 30 asked: only 12 frames were sampled to choose from "
            "(--sample 12; raise it to 30 or more)") in err
    assert len(list((tmp_path / "p" / "labeled-data" / "session").glob("*.png"))) == 12


def test_fewer_picks_reasons():
    from simgen.gap.suggest import fewer_picks_reason

    assert fewer_picks_reason(30, 12, 12, 400, 12, 0).endswith(": the video has only 12 frames")
    assert fewer_picks_reason(30, 10, 10, 400, 40, 0).endswith(": only 10 of the 40 frames sampled could be read")
    text = fewer_picks_reason(10, 4, 400, 400, 5000, 900)
    assert text == ("picked 4 frames, fewer than the 10 asked: only 4 of the sampled frames are more than 900 "
                    "video frames apart (lower --min-gap)")
