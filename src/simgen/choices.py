"""Every closed choice of simgen, once: the ``Literal`` that schema, sampler, renderer and
CLI all read.

A registry keyed by one of these names (pose presets, primitives, fur surfaces, render
engines, light types, style methods, executors, social configurations, ...) is annotated
with its Literal (``FUR: dict[Fur, Surface]``) and must hold exactly the Literal's names.
``tests/test_choices.py`` finds every such registry and every ``Literal`` written in the
package: a Literal of names written anywhere but here fails it. To add a choice (a fur
color, a pose preset, a primitive), add it here and to its registry; the test says which
registry is missing it.

This module imports nothing from simgen, so every layer may import it.
"""

from __future__ import annotations

from typing import Literal, get_args, get_origin

# -- scene: the animal ----------------------------------------------------------------
Fur = Literal["black", "agouti", "white", "brown"]  # registry: assets.appearance.FUR
PosePreset = Literal["rest", "walk", "trot", "turn", "rear", "groom", "curl", "sniff",
                     "rear_wall"]  # assets.poses.PRESETS; rear_wall: reared against a wall (behavior placement)
FramePose = PosePreset | Literal["random"]  # a sampled frame's pose; random: angles drawn within the joint limits
PhantomMaterial = Literal["fur", "skin", "eye"]  # the bundled phantom's surfaces (assets.phantom)
BoneEnd = Literal["head", "tail"]  # where on a bone a keypoint of an external model sits (assets.external)
BundledAnimal = Literal["mouse"]  # animal assets a scene may name without a path
PoseMode = Literal["presets", "random", "rest"]
PlacementMode = Literal["uniform", "behavior"]  # behavior: along walls, into corners (sampling.placement)
FramesMode = Literal["independent", "sequence"]
# how one animal is placed relative to another (several animals)
SocialConfig = Literal["independent", "nose_to_nose", "following", "side_by_side", "huddle",
                       "on_top"]  # sampling.social.CONFIGS

# -- scene: rig, cameras, lights, rendering -------------------------------------------
Primitive = Literal["plane", "box", "cylinder", "arena", "wheel", "head_post"]  # render.primitives.PRIMITIVES
SensorFit = Literal["auto", "horizontal", "vertical"]
SensorSide = Literal["horizontal", "vertical"]  # the side a sensor spans once "auto" is resolved (render.camera)
LightType = Literal["area", "point", "sun", "spot"]  # render.blender_scene.LIGHT_TYPES
Engine = Literal["cycles", "eevee", "workbench"]  # render.blender_scene.ENGINES
Device = Literal["cpu", "gpu", "auto"]
RenderPreset = Literal["preview", "fast", "production"]  # scene.presets.PRESETS

# -- files ----------------------------------------------------------------------------
RigModelSuffix = Literal[".obj", ".stl", ".ply", ".glb", ".gltf", ".blend"]  # mesh files a rig part may name
AnimalModelSuffix = Literal[".glb", ".gltf", ".fbx", ".blend"]  # rigged models (bpyutil.import_model)

# -- labels, style, farm --------------------------------------------------------------
Occluded = Literal["keep", "drop"]  # what an export or the trainer does with occluded points
StyleMethod = Literal["classic", "cyclegan", "fastcut"]  # style.model.METHODS
StyleProfile = Literal["cpu", "gpu"]  # style.model.PROFILES
Executor = Literal["local", "slurm"]  # distributed.executors.EXECUTORS
Walls = Literal["auto", "clear", "opaque"]  # rig from-video: a cage's clear walls or an arena's opaque ones
# pose network encoder: simgen (pose.model.PoseNet, from scratch) or pose.backbones.PRETRAINED
Backbone = Literal["simgen", "efficientnet_lite0"]
# a top-down model's animal box (finding stage and crops): its keypoints' box, or its mask's (renders only)
TopdownBoxes = Literal["keypoints", "mask"]
TorchDevice = Literal["auto", "cpu", "cuda"]  # where pose training runs (pose.config)
SuggestStrategy = Literal["typical", "uncertain", "clusters"]  # simgen suggest --strategy (gap.suggest.STRATEGIES)

# -- sweeps and their report (sweep.spec, sweep.analysis) -------------------------------
ArmStyle = Literal["none"] | StyleMethod  # "none": the raw renders
Design = Literal["ofat", "grid"]
Metric = Literal["mean_error", "rmse", "median_error", "pck5", "pck10"]  # sweep.analysis.METRICS
Verdict = Literal["baseline", "better", "worse", "indistinguishable", "not compared"]
Lead = Literal["warning", "ranking"]  # what a sweep report's answer leads with


def names(choice) -> tuple[str, ...]:
    """The names of a Literal (or of a union of Literals, such as ``ArmStyle``), in order (for CLI
    choices and error messages)."""
    if get_origin(choice) is Literal:
        return tuple(get_args(choice))
    return tuple(n for member in get_args(choice) for n in names(member))


RIG_MODEL_SUFFIXES = names(RigModelSuffix)
ANIMAL_MODEL_SUFFIXES = names(AnimalModelSuffix)
BUNDLED_ANIMALS = names(BundledAnimal)
