"""The sweep file: pydantic models, loading with ``file:line`` errors, expansion into arms.

A sweep names a base scene, real labeled data (and optionally real video for style
transfer), ``defaults`` every arm starts from, and the arms: listed one by one
(``design: ofat``, one factor at a time against the ``baseline`` of the defaults) or
as ``factors`` whose levels are crossed (``design: grid``). Each arm is a delta on the
defaults: scene overrides (``set``, the same ``path: value`` mechanism as
``simgen render --set``), a frame count, a style method, training settings. Every arm
is run once per entry of ``seeds``. See docs/sweeps.md.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simgen.choices import ArmStyle, Design, Metric, RenderPreset
from simgen.errors import SceneError, SimgenError
from simgen.scene.compose import display_path, parse_set

BASELINE = "baseline"


class SweepError(SceneError):
    """A sweep file or a sweep command-line option is wrong (exit code 2, ``file:line: path: message``)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainSpec(_Strict):
    """Pose training: a bundled config name or YAML path, and changes to it."""

    config: str | None = None  # None: the bundled default
    steps: int | None = Field(None, ge=1)
    # PoseConfig fields by dotted path, e.g. {batch_size: 4, augment.enabled: false}
    set: dict[str, Any] = Field(default_factory=dict)


class ArmSpec(_Strict):
    """What an arm (or a grid level) changes relative to the defaults; unset fields inherit."""

    set: dict[str, Any] = Field(default_factory=dict)  # scene overrides: path -> value (YAML data)
    frames: int | None = Field(None, ge=1)
    preset: RenderPreset | None = None
    style: ArmStyle | None = None
    style_iters: int | None = Field(None, ge=1)
    train: TrainSpec | None = None
    description: str | None = None


class Defaults(_Strict):
    set: dict[str, Any] = Field(default_factory=dict)
    frames: int = Field(1000, ge=1)
    preset: RenderPreset | None = "fast"
    style: ArmStyle = "none"
    style_iters: int | None = Field(None, ge=1)  # learned style methods only
    train: TrainSpec = Field(default_factory=TrainSpec)


class RealData(_Strict):
    labeled: str  # PATH[,frames=A:B]: simgen dataset, DeepLabCut project/folder or SLEAP file
    video: str | None = None  # real video file or image folder, for style transfer
    camera: str | None = None  # camera of a multi-camera simgen dataset used as "real"


class GapSpec(_Strict):
    """The optional gap stage: ``simgen gap`` numbers of every arm x seed on ``real.video``."""

    frames: int = Field(100, ge=5)  # real video frames, spread evenly over the video
    renders: int = Field(100, ge=5)  # frames of the arm's training data, spread evenly
    # also estimate on real.labeled and correlate with the true per-frame error (Spearman)
    validate_estimate: bool = True


class SweepFile(_Strict):
    simgen_sweep: Literal[1] = 1
    base_scene: str
    real: RealData
    defaults: Defaults = Field(default_factory=Defaults)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    design: Design = "ofat"
    metric: Metric = "mean_error"  # what the report ranks and charts (mean_error is DeepLabCut's "RMSE")
    gap: GapSpec | None = None  # None: no gap stage (the default)
    arms: dict[str, ArmSpec] = Field(default_factory=dict)
    factors: dict[str, dict[str, ArmSpec]] = Field(default_factory=dict)

    @field_validator("seeds")
    @classmethod
    def _unique(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("seeds must be distinct")
        return v


@dataclass
class Arm:
    """One fully resolved arm: everything its stages need, nothing inherited."""

    name: str
    set: dict[str, Any]
    frames: int
    preset: RenderPreset | None
    style: ArmStyle
    style_iters: int | None
    train: TrainSpec
    description: str = ""

    def overrides(self, seed: int) -> list[str]:
        """``--set`` expressions for this arm and repeat (the seed goes into the scene)."""
        return [f"{k}={json.dumps(v)}" for k, v in self.set.items()] + [f"seed={seed}"]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "set": self.set, "frames": self.frames,
                "preset": self.preset, "style": self.style, "style_iters": self.style_iters,
                "train": self.train.model_dump(mode="json")}


@dataclass
class Sweep:
    path: Path
    scene: Path
    labeled: str  # absolute path plus any ,frames=A:B
    video: Path | None
    camera: str | None
    seeds: list[int]
    design: str
    arms: list[Arm] = field(default_factory=list)
    # command-line reductions that make this run smaller than the file asks for
    # (scale_frames, steps, seeds, arms, set), for the report's banner; empty: full size
    reductions: dict[str, Any] = field(default_factory=dict)
    metric: str = "mean_error"  # what the report ranks and charts
    gap: GapSpec | None = None  # the gap stage's settings; None: no gap stage

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise SweepError(f"{display_path(self.path)}: no arm named {name!r}; arms: "
                         f"{', '.join(a.name for a in self.arms)}")


def _merge_train(base: TrainSpec, over: TrainSpec | None) -> TrainSpec:
    if over is None:
        return base
    return TrainSpec(config=over.config if over.config is not None else base.config,
                     steps=over.steps if over.steps is not None else base.steps,
                     set={**base.set, **over.set})


def _apply(arm: Arm, delta: ArmSpec) -> Arm:
    return Arm(
        name=arm.name,
        set={**arm.set, **delta.set},
        frames=delta.frames if delta.frames is not None else arm.frames,
        preset=delta.preset if delta.preset is not None else arm.preset,
        style=delta.style if delta.style is not None else arm.style,
        style_iters=delta.style_iters if delta.style_iters is not None else arm.style_iters,
        train=_merge_train(arm.train, delta.train),
        description=delta.description or arm.description,
    )


def expand(spec: SweepFile) -> list[Arm]:
    """The arms of a sweep, in file order: baseline first for ofat, the product for grid."""
    d = spec.defaults
    base = Arm(BASELINE, dict(d.set), d.frames, d.preset, d.style, d.style_iters, d.train,
               "the defaults")
    if spec.design == "ofat":
        arms = [base]
        for name, delta in spec.arms.items():
            arm = _apply(Arm(name, **{k: v for k, v in vars(base).items() if k != "name"}), delta)
            arm.description = delta.description or ""
            arms.append(arm)
        return arms
    arms = []
    names = list(spec.factors)
    for combo in itertools.product(*(spec.factors[n].items() for n in names)):
        arm = Arm("-".join(f"{f}={lvl}" for f, (lvl, _) in zip(names, combo)),
                  **{k: v for k, v in vars(base).items() if k != "name"})
        arm.description = ""
        for _, delta in combo:
            arm = _apply(arm, delta)
        arms.append(arm)
    return arms


def _resolve(base: Path, text: str) -> str:
    """A path relative to the sweep file's folder, keeping ``,option=...`` suffixes."""
    head, sep, opts = text.partition(",")
    return str((base / Path(head).expanduser()).resolve()) + sep + opts


Problem = tuple[tuple, str]  # (path in the sweep file, message)


def _problems(spec: SweepFile) -> list[Problem]:
    out: list[Problem] = []
    if spec.design == "ofat":
        if spec.factors:
            out.append((("factors",), "factors belong to design: grid; use arms for design: ofat"))
        if BASELINE in spec.arms:
            out.append((("arms", BASELINE), "the baseline arm is the defaults; give this arm another name"))
    else:
        if spec.arms:
            out.append((("arms",), "design: grid crosses factors; list levels under factors, not arms"))
        if not spec.factors:
            out.append((("factors",), "design: grid needs at least one factor"))
        for name, levels in spec.factors.items():
            if not levels:
                out.append((("factors", name), "a factor needs at least one level"))
    for name in list(spec.arms) + list(spec.factors):
        if not name or any(c in name for c in "/\\,") or name.startswith("."):
            out.append(((name,), f"arm/factor name {name!r}: use letters, digits, '_' or '-'"))
    return out


@dataclass
class RealInputs:
    """The files a sweep reads besides its own, resolved."""

    scene: Path
    labeled: str  # absolute path plus any ,frames=A:B
    video: Path | None


def real_inputs(spec: SweepFile, folder: Path, labeled: str | None = None,
                video: str | Path | None = None) -> RealInputs:
    """The file's paths relative to its ``folder``; ``labeled`` / ``video`` (the command line's)
    replace the file's, relative to the working directory."""
    scene = Path(_resolve(folder, spec.base_scene))
    labeled = _resolve(Path.cwd(), labeled) if labeled else _resolve(folder, spec.real.labeled)
    if video is not None:
        video = Path(video).expanduser().resolve()
    elif spec.real.video:
        video = Path(_resolve(folder, spec.real.video))
    return RealInputs(scene, labeled, video)


def _input_problems(spec: SweepFile, inputs: RealInputs) -> list[Problem]:
    out: list[Problem] = []
    if not inputs.scene.is_file():
        out.append((("base_scene",), f"scene file not found: {display_path(inputs.scene)}"))
    labeled = Path(inputs.labeled.partition(",")[0])
    if not labeled.exists():
        out.append((("real", "labeled"), f"not found: {display_path(labeled)} (point --real-labeled at the labeled "
                                         "data)"))
    if inputs.video is not None and not inputs.video.exists():
        out.append((("real", "video"), f"not found: {display_path(inputs.video)} (point --real-video at the real "
                                       "video or image folder)"))
    if spec.gap is not None and inputs.video is None:
        out.append((("gap",), "the gap stage compares each arm with real.video: set real.video (or pass "
                              "--real-video)"))
    return out


def _arm_problems(arms: list[Arm], video: Path | None, shown: str) -> list[Problem]:
    out: list[Problem] = []
    for arm in arms:
        if arm.style != "none" and video is None:
            out.append(((arm.name, "style"), f"style {arm.style} needs real.video (real video or frames)"))
        try:
            pose_config(arm.train, 0, f"{shown}: arm {arm.name}")
        except SimgenError as err:
            out.append(((arm.name, "train"), str(err).replace(f"{shown}: arm {arm.name}: ", "")))
    return out


def _set_in_every_arm(arms: list[Arm], extra_set: list[str]) -> None:
    """``path=value`` scene overrides applied after each arm's own."""
    for text in extra_set:
        try:
            key, parsed = parse_set(text)
        except SceneError as err:
            raise SweepError(err.messages) from None
        for arm in arms:
            arm.set = {**{k: v for k, v in arm.set.items() if k != key}, key: parsed}


def _check_scenes(scene: Path, arms: list[Arm], seed: int, shown: str) -> None:
    """The arms' scenes load, before any work starts (same messages as render --set)."""
    from simgen.scene import load_scene
    from simgen.scene.presets import scene_overrides

    for arm in arms:
        try:
            load_scene(scene, scene_overrides(arm.preset, arm.overrides(seed)))
        except SceneError as err:
            raise SweepError([f"{shown}: arm {arm.name}: {m}" for m in err.messages]) from None


def reduce_arms(arms: list[Arm], only: list[str] | None = None, scale_frames: float | None = None,
                steps: int | None = None) -> list[Arm]:
    """The command line's reductions: some arms, scaled frame counts, fewer steps."""
    if only:
        unknown = [n for n in only if n not in {a.name for a in arms}]
        if unknown:
            raise SweepError(f"--arms: no arm named {', '.join(map(repr, unknown))}; arms: "
                             f"{', '.join(a.name for a in arms)}")
        arms = [a for a in arms if a.name in only]
    if scale_frames is not None:
        if scale_frames <= 0:
            raise SweepError(f"--scale-frames must be > 0 (got {scale_frames})")
        for a in arms:
            a.frames = max(2, round(a.frames * scale_frames))
    if steps is not None:
        for a in arms:
            a.train = a.train.model_copy(update={"steps": steps})
    return arms


def load_sweep(path: str | Path, *, seeds: list[int] | None = None, scale_frames: float | None = None,
               steps: int | None = None, only: list[str] | None = None, extra_set: list[str] | None = None,
               labeled: str | None = None, video: str | Path | None = None) -> Sweep:
    """Read and check a sweep file; the keyword arguments are the command line's reductions.

    ``extra_set``: ``path=value`` scene overrides for every arm, applied after the arm's own
    (e.g. ``render.resolution=[320, 240]`` for a quick run). ``labeled`` / ``video`` replace
    the file's ``real.labeled`` / ``real.video`` (relative to the working directory, not to
    the sweep file)."""
    from simgen.scene.loader import load_yaml_model_with_origins
    from simgen.scene.messages import locate
    from simgen.scene.yamlsrc import format_path

    path = Path(path)
    shown = display_path(path)
    spec, origins = load_yaml_model_with_origins(path, SweepFile, what="sweep file", error=SweepError)
    inputs = real_inputs(spec, path.resolve().parent, labeled, video)
    problems = _problems(spec) + _input_problems(spec, inputs)
    arms = expand(spec)
    _set_in_every_arm(arms, extra_set or [])
    problems += _arm_problems(arms, inputs.video, shown)
    if not problems:
        _check_scenes(inputs.scene, arms, spec.seeds[0], shown)
    if problems:
        def where(p: tuple) -> str:
            return str(locate(origins, ("arms",) + p if p and p[0] in spec.arms else p))

        raise SweepError([f"{where(p)}: {format_path(p)}: {m}" for p, m in problems])

    arms = reduce_arms(arms, only, scale_frames, steps)
    reductions = {k: v for k, v in (("scale_frames", scale_frames), ("steps", steps),
                                    ("seeds", seeds if seeds and len(seeds) < len(spec.seeds) else None),
                                    ("arms", only), ("set", extra_set)) if v}
    return Sweep(path=path.resolve(), scene=inputs.scene, labeled=inputs.labeled, video=inputs.video,
                 camera=spec.real.camera, seeds=list(seeds) if seeds else list(spec.seeds), design=spec.design,
                 arms=arms, reductions=reductions, metric=spec.metric, gap=spec.gap)


def pose_config(train: TrainSpec, seed: int, source: str = "sweep"):
    """The PoseConfig an arm trains with: the named config, its ``set`` changes, steps, the seed."""
    from simgen.pose.config import PoseConfig, load_config

    cfg = load_config(train.config).model_dump(mode="json")
    for dotted, value in train.set.items():
        node = cfg
        *parents, last = dotted.split(".")
        for p in parents:
            if not isinstance(node.get(p), dict):
                raise SweepError(f"{source}: train.set.{dotted}: {p!r} is not a section of the pose config")
            node = node[p]
        node[last] = value
    if train.steps is not None:
        cfg["steps"] = train.steps
    cfg["seed"] = seed
    try:
        return PoseConfig.model_validate(cfg)
    except ValidationError as exc:
        from simgen.scene.messages import format_validation_error
        from simgen.scene.yamlsrc import Origin

        raise SweepError(format_validation_error(exc, PoseConfig, {(): Origin(f"{source}: train")})) from None
