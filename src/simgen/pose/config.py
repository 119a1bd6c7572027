"""The pose training config: ``configs/pose/<name>.yaml`` validated by pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simgen.choices import Backbone, Occluded, TopdownBoxes, TorchDevice
from simgen.errors import SimgenError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    # simgen: the small network of model.py, from scratch (widths, blocks below); or an
    # ImageNet-pretrained encoder from an installed package (backbones.py; widths and
    # blocks do not apply to it). docs/pose.md says which to pick when.
    backbone: Backbone = "simgen"
    widths: tuple[int, int, int, int] = (24, 32, 64, 128)  # channels at strides 2, 4, 8, 16
    blocks: tuple[int, int, int] = (1, 2, 2)  # residual blocks at strides 4, 8, 16
    decoder_width: int = Field(64, ge=8)
    stride: Literal[2, 4] = 4


class AugmentConfig(_Strict):
    enabled: bool = True
    rotation_deg: float = Field(25.0, ge=0, le=180)  # +- this; 180 = any angle (top-down cameras)
    scale: tuple[float, float] = (0.8, 1.25)
    translate: float = Field(0.1, ge=0, le=0.5)  # fraction of the input size
    flip: float = Field(0.5, ge=0, le=1)  # probability of a horizontal flip (left/right swapped)
    brightness: float = Field(0.2, ge=0, le=1)  # +- added
    contrast: float = Field(0.3, ge=0, le=1)  # factor in 1 +- this
    gamma: tuple[float, float] = (0.7, 1.4)
    blur_p: float = Field(0.2, ge=0, le=1)
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    noise_p: float = Field(0.3, ge=0, le=1)
    noise_std: float = Field(0.03, ge=0)
    cutout_p: float = Field(0.3, ge=0, le=1)
    cutout_size: float = Field(0.15, ge=0, le=1)  # side as a fraction of the shorter input side


class FinderConfig(_Strict):
    """The finding stage of a top-down model (pose/finder.py): animal centres and box sizes
    on the whole image, letterboxed into ``input_size``."""

    input_size: tuple[int, int] | None = None  # width, height; None: the pose input_size
    steps: int | None = Field(None, ge=1)  # None: the pose steps
    sigma_px: float = Field(4.0, gt=0)  # centre heatmap Gaussian sigma, finder input pixels
    threshold: float = Field(0.3, gt=0, lt=1)  # a centre peak below this is no animal
    max_animals: int | None = Field(None, ge=1)  # None: the most animals labeled in one training image
    nms_iou: float = Field(0.7, gt=0, le=1)  # a box overlapping a better one by more is dropped
    # An animal's box, which the finding stage learns and the pose model's crops are cut
    # from: the box of its keypoints (the same for renders and real labels; with the
    # open-field set snout, ears and tail base: the body without the tail), or, for renders,
    # its mask's box (which the tail stretches: its centre then sits near the tail base, and
    # on real video the finder put a box at each end of a mouse; docs/benchmarks.md).
    boxes: TopdownBoxes = "keypoints"

    @field_validator("input_size")
    @classmethod
    def _multiple_of_16(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and (v[0] % 16 or v[1] % 16 or min(v) < 32):
            raise ValueError("both sides must be multiples of 16 and at least 32")
        return v


class PoseConfig(_Strict):
    input_size: tuple[int, int] = (320, 256)  # width, height; images are letterboxed into it
    sigma_px: float = Field(5.0, gt=0)  # heatmap Gaussian sigma in input pixels
    offset_radius: float = Field(2.0, gt=0)  # cells around a keypoint where offsets are learned
    offset_weight: float = Field(0.05, ge=0)
    pos_weight: float = Field(20.0, ge=0)  # extra weight of heatmap cells near a keypoint
    model: ModelConfig = ModelConfig()
    augment: AugmentConfig = AugmentConfig()
    steps: int = Field(1500, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    val_fraction: float = Field(0.1, ge=0, lt=1)
    val_every: int = Field(100, ge=1)
    checkpoint_every: int = Field(250, ge=1)
    seed: int = 0
    device: TorchDevice = "auto"
    threads: int = Field(0, ge=0)  # torch CPU threads; 0 = all cores
    keypoints: str | None = None  # keypoint set applied to simgen datasets (name or YAML path)
    camera: str | None = None  # camera of multi-camera simgen datasets
    occluded: Occluded = "keep"
    swap_pairs: list[tuple[str, str]] | None = None  # None: from the labels, else by left/right names
    # Fine-tuning that does not forget: with an init model, this share of the batches comes
    # from the data that model was trained on (recorded in it), e.g. its synthetic renders,
    # and the rest from the given sources. 0: the given sources only (plain fine-tuning).
    init_mix: float = Field(0.5, ge=0, lt=1)
    # A pretrained backbone (model.backbone other than simgen): its encoder learns at this
    # share of lr (decoder and head at lr), so the first steps' large gradients from the
    # untrained head do not wash out the ImageNet features; and its batch norms keep their
    # ImageNet statistics (frozen) instead of re-estimating them from batches of a few images.
    backbone_lr: float = Field(0.1, gt=0, le=1)
    freeze_backbone_bn: bool = True
    finder: FinderConfig = FinderConfig()  # top-down models only (sources of several animals)
    # Read keypoints from the heatmaps with the body's shape as a prior (pose/body_prior.py):
    # each keypoint's few best peaks, the combination whose pairwise distances fit the
    # training labels' best; false: each keypoint's argmax alone. A model saved before the
    # prior existed has none and reads argmaxes either way.
    body_prior: bool = True

    @field_validator("input_size")
    @classmethod
    def _multiple_of_16(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] % 16 or v[1] % 16 or min(v) < 32:
            raise ValueError("both sides must be multiples of 16 and at least 32")
        return v


def load_config(path: str | Path | None, overrides: dict | None = None) -> PoseConfig:
    """None -> the bundled default; a bare name -> ``configs/pose/<name>.yaml``.

    ``overrides``: top-level fields from the command line (``--steps``), validated like the
    file's (``steps`` >= 1 whichever way it is set)."""
    from simgen.resources import config_path
    from simgen.scene.loader import load_yaml_model

    if path is None:
        path = config_path("pose", "default")
    p = Path(path)
    if not p.is_file() and p.suffix not in (".yaml", ".yml"):
        p = config_path("pose", str(path))
    if not p.is_file():
        raise SimgenError(f"{path}: no such pose config")
    return load_yaml_model(p, PoseConfig, what="pose config", updates=overrides, source="command line")
