"""The sweep file: arms from ofat and grid designs, command-line reductions, errors
that name the file, line and field. No Blender, no torch."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simgen.sweep.spec import SweepError, load_sweep, pose_config
from simgen.sweep.stages import StageStore, stage_key


@pytest.fixture
def files(tmp_path: Path):
    from simgen_testdata import MINIMAL_SCENE

    (tmp_path / "scene.yaml").write_text(MINIMAL_SCENE)
    (tmp_path / "real").mkdir()

    def write(text: str) -> Path:
        p = tmp_path / "sweep.yaml"
        p.write_text("base_scene: scene.yaml\nreal: {labeled: real, video: real}\n" + textwrap.dedent(text))
        return p

    return write


def test_ofat_arms_inherit_the_defaults(files, tmp_path):
    sw = load_sweep(files("""\
        defaults: {frames: 100, set: {seed: 0, cameras.top.focal_mm: 4}, train: {steps: 50, set: {batch_size: 4}}}
        seeds: [0, 1]
        arms:
          no_light: {set: {"lights[0].energy": 300}}
          styled: {style: classic, frames: 250, train: {set: {lr: 0.001}}}
        """))
    assert [a.name for a in sw.arms] == ["baseline", "no_light", "styled"]
    base, nl, st = sw.arms
    assert base.set == {"seed": 0, "cameras.top.focal_mm": 4} and base.style == "none" and base.frames == 100
    assert nl.set == {"seed": 0, "cameras.top.focal_mm": 4, "lights[0].energy": 300} and nl.frames == 100
    assert st.style == "classic" and st.frames == 250 and st.train.set == {"batch_size": 4, "lr": 0.001}
    assert st.train.steps == 50
    assert nl.overrides(1) == ["seed=0", "cameras.top.focal_mm=4", "lights[0].energy=300", "seed=1"]
    assert sw.scene == (tmp_path / "scene.yaml").resolve() and sw.labeled == str((tmp_path / "real").resolve())
    cfg = pose_config(st.train, 1)
    assert (cfg.steps, cfg.batch_size, cfg.lr, cfg.seed) == (50, 4, 0.001, 1)


def test_grid_is_the_product_of_levels(files):
    sw = load_sweep(files("""\
        design: grid
        factors:
          light: {random: {}, fixed: {set: {"lights[0].energy": 300}}}
          size: {small: {frames: 10}, big: {frames: 40}}
        """))
    assert [a.name for a in sw.arms] == ["light=random-size=small", "light=random-size=big",
                                         "light=fixed-size=small", "light=fixed-size=big"]
    assert sw.arms[3].frames == 40 and sw.arms[3].set == {"lights[0].energy": 300}


def test_command_line_reductions(files):
    path = files("""\
        defaults: {frames: 1000}
        seeds: [0, 1, 2]
        arms: {few: {frames: 250}, many: {frames: 4000}}
        """)
    sw = load_sweep(path, seeds=[5], scale_frames=0.1, steps=30, only=["baseline", "many"])
    assert sw.seeds == [5] and [(a.name, a.frames, a.train.steps) for a in sw.arms] == [
        ("baseline", 100, 30), ("many", 400, 30)]
    with pytest.raises(SweepError, match="--arms: no arm named 'nope'"):
        load_sweep(path, only=["nope"])


def test_command_line_set_applies_to_every_arm_after_its_own(files):
    path = files("""\
        defaults: {frames: 10}
        arms: {dim: {set: {"lights[0].energy": 5, seed: 3}}}
        """)
    sw = load_sweep(path, extra_set=["render.resolution=[32, 24]", "lights[0].energy=9"])
    for arm in sw.arms:
        assert arm.set["render.resolution"] == [32, 24] and arm.set["lights[0].energy"] == 9
    assert sw.arm("dim").set["seed"] == 3
    with pytest.raises(SweepError, match=r"--set render.resolution: expected path.to.key=value"):
        load_sweep(path, extra_set=["render.resolution"])
    with pytest.raises(SweepError, match=r"--set seed=\[1: the value is not valid YAML"):  # scene --set's parser
        load_sweep(path, extra_set=["seed=[1"])


@pytest.mark.parametrize("text,msg", [
    ("arms: {a: {frame: 3}}\n", r"sweep.yaml:3: arms.a.frame: unknown key 'frame' \(did you mean 'frames'\?\)"),
    ("arms: {a: {style: clasic}}\n", r"sweep.yaml:3: arms.a.style: must be one of .*did you mean 'classic'"),
    ("arms: {baseline: {frames: 3}}\n", r"sweep.yaml:3: arms.baseline: the baseline arm is the defaults"),
    ("design: grid\narms: {a: {}}\n", r"arms: design: grid crosses factors"),
    ("arms: {a: {preset: fastest}}\n", r"sweep.yaml:3: arms.a.preset: must be one of .*fast"),
    ("arms: {a: {train: {set: {batch_size: 0}}}}\n", r"a.train: .*batch_size: must be >= 1 \(got 0\)"),
    ("seeds: [1, 1]\n", r"sweep.yaml:3: seeds: seeds must be distinct"),
    ("defaults: {frames: 0}\n", r"sweep.yaml:3: defaults.frames: must be >= 1"),
    ("gap: {frames: 3}\n", r"sweep.yaml:3: gap.frames: must be >= 5"),
    ("gap: {frame: 30}\n", r"sweep.yaml:3: gap.frame: unknown key 'frame' \(did you mean 'frames'\?\)"),
])
def test_errors_name_file_line_and_field(files, text, msg):
    with pytest.raises(SweepError, match=msg):
        load_sweep(files(text))


def test_gap_stage_is_off_by_default_and_needs_the_real_video(files, tmp_path):
    assert load_sweep(files("seeds: [0]\n")).gap is None
    sw = load_sweep(files("gap: {frames: 30}\n"))
    assert (sw.gap.frames, sw.gap.renders, sw.gap.validate_estimate) == (30, 100, True)
    p = tmp_path / "novideo.yaml"
    p.write_text("base_scene: scene.yaml\nreal: {labeled: real}\ngap: {frames: 30}\n")
    with pytest.raises(SweepError, match=r"novideo.yaml:3: gap: the gap stage compares each arm with real.video"):
        load_sweep(p)
    assert load_sweep(p, video=tmp_path / "real").gap.frames == 30  # --real-video supplies it


def test_missing_files_are_reported(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("base_scene: nope.yaml\nreal: {labeled: missing}\narms: {s: {style: classic}}\n")
    with pytest.raises(SweepError) as err:
        load_sweep(p)
    text = str(err.value)
    assert "s.yaml:1: base_scene: scene file not found" in text and "real.labeled: not found" in text
    assert "style classic needs real.video" in text


def test_stage_store_reuses_and_redoes_crashed_stages(tmp_path):
    store = StageStore(tmp_path)
    calls = []

    def work(folder: Path) -> dict:
        calls.append(folder)
        (folder / "x").write_text("1")
        return {"n": len(calls)}

    a = store.run("render", {"scene": "s", "frames": 3}, work)
    b = store.run("render", {"frames": 3, "scene": "s"}, work)  # same inputs, any order
    assert not a.reused and b.reused and b.info == {"n": 1} and len(calls) == 1
    assert stage_key("render", {"frames": 4, "scene": "s"}) != a.key
    (a.path / "done.json").unlink()  # as if the process died before finishing
    c = store.run("render", {"scene": "s", "frames": 3}, work)
    assert not c.reused and len(calls) == 2 and c.path == a.path
    with pytest.raises(Exception, match="did not finish"):
        store.run("train", {"k": 1}, work, reuse_only=True)


def test_real_data_overrides_and_reductions_are_recorded(files, tmp_path, monkeypatch):
    path = files("seeds: [0, 1, 2]\nmetric: pck5\narms: {s: {style: classic}}\n")
    sw = load_sweep(path)
    assert sw.reductions == {} and sw.metric == "pck5"
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "dev").mkdir(parents=True)
    (elsewhere / "v.mp4").write_bytes(b"")
    monkeypatch.chdir(elsewhere)  # command-line paths are relative to the working directory
    sw = load_sweep(path, labeled="dev,frames=0:10", video="v.mp4", seeds=[0], steps=5)
    assert sw.labeled == f"{(elsewhere / 'dev').resolve()},frames=0:10" and sw.video == (elsewhere / "v.mp4").resolve()
    assert sw.reductions == {"steps": 5, "seeds": [0]}
    assert load_sweep(path, seeds=[3, 4, 5]).reductions == {}  # other seeds, not fewer: not a reduction
    with pytest.raises(SweepError, match=r"real.labeled: not found: .*nope \(point --real-labeled at"):
        load_sweep(path, labeled="nope")
    with pytest.raises(SweepError, match=r"real.video: not found: .*nope.mp4 \(point --real-video at"):
        load_sweep(path, video="nope.mp4")


def test_shipped_openfield_sweep_is_valid(tmp_path):
    """Every arm of configs/sweeps/openfield_factors.yaml gives a valid open-field scene
    (the real data is swapped for empty folders: tests never need ../shared)."""
    import yaml

    from simgen.scene import load_scene
    from simgen.scene.presets import scene_overrides

    repo = Path(__file__).resolve().parents[2]
    doc = yaml.safe_load((repo / "configs" / "sweeps" / "openfield_factors.yaml").read_text())
    (tmp_path / "dev").mkdir()
    (tmp_path / "video.mp4").write_bytes(b"")
    doc["base_scene"] = str(repo / "scenes" / "openfield.yaml")
    doc["real"] = {"labeled": "dev", "video": "video.mp4"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    sw = load_sweep(tmp_path / "s.yaml")
    names = [a.name for a in sw.arms]
    assert names == ["baseline", "no_light_randomization", "no_camera_jitter", "single_fur_color",
                     "narrow_pose_range", "style_classic", "frames_250", "frames_4000"]
    shas = set()
    for arm in sw.arms:
        loaded = load_scene(sw.scene, scene_overrides(arm.preset, arm.overrides(0)))
        shas.add(loaded.sha256)
    assert len(shas) == 5  # baseline, style and frame-count arms share one scene
    assert (sw.gap.frames, sw.gap.renders) == (100, 100)  # the shipped experiment runs the gap stage
    assert {a.frames for a in load_sweep(tmp_path / "s.yaml", scale_frames=0.1).arms} == {25, 100, 400}


def test_bad_scene_override_is_caught_before_any_work(tmp_path):
    from simgen_testdata import MINIMAL_SCENE

    (tmp_path / "scene.yaml").write_text(MINIMAL_SCENE.replace("type: area", "name: ceiling, type: area"))
    (tmp_path / "real").mkdir()
    p = tmp_path / "sweep.yaml"
    p.write_text("base_scene: scene.yaml\nreal: {labeled: real}\narms:\n  no_light:\n"
                 "    set: {lights.celing.energy: 14}\n")
    with pytest.raises(SweepError, match=r"sweep.yaml: arm no_light: --set lights.celing.energy=14: .*"
                                         r"did you mean 'ceiling'"):
        load_sweep(p)
