"""The pose network and the saved-model bundle.

``PoseNet`` (backbone ``simgen``, the default) is a compact ResNet-style encoder
(stride 16) with a feature-pyramid decoder back to stride 4 (or 2). Its head predicts,
per keypoint, a heatmap logit and an (x, y) offset in heatmap cells for sub-pixel
location refinement. No pretrained weights: it trains from scratch in minutes on a CPU
at small sizes. ``PretrainedPoseNet`` puts the same kind of decoder and the same head
on an ImageNet-pretrained encoder (``backbones.py``). ``build_net`` is the one builder
that turns ``model.backbone`` into either.

A trained model is a folder holding ``model.pt``: the weights plus everything needed
to use them (keypoint names, swap pairs, input size, stride, the training config). The
training config is read back through ``PoseConfig`` (``saved_config``), so a model saved
before a field existed gets the schema's default for it, never a reader's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from simgen.errors import SimgenError
from simgen.pose.config import ModelConfig, PoseConfig

MODEL_FILE = "model.pt"


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(y)) + self.skip(x), inplace=True)


def _conv_bn(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, 1, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PoseNet(nn.Module):
    """Image (B, 3, H, W) in [0, 1] -> heat logits (B, K, H/s, W/s), offsets (B, K, 2, H/s, W/s).

    ``widths`` are the channels at strides 2, 4, 8, 16; ``blocks`` the residual blocks
    per stage at strides 4, 8, 16. H and W must be multiples of 16.
    """

    backbone = "simgen"

    def __init__(self, num_keypoints: int, widths=(24, 32, 64, 128), blocks=(1, 2, 2), stride: int = 4,
                 decoder_width: int = 64):
        super().__init__()
        if stride not in (2, 4):
            raise SimgenError(f"model stride must be 2 or 4, not {stride}")
        self.num_keypoints, self.stride = num_keypoints, stride
        c2, c4, c8, c16 = widths
        self.stem = nn.Sequential(_conv_bn(3, c2 // 2), nn.Conv2d(c2 // 2, c2, 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(c2), nn.ReLU(inplace=True))

        def stage(cin: int, cout: int, n: int) -> nn.Sequential:
            return nn.Sequential(ResBlock(cin, cout, 2), *[ResBlock(cout, cout) for _ in range(n - 1)])

        self.s4, self.s8, self.s16 = stage(c2, c4, blocks[0]), stage(c4, c8, blocks[1]), stage(c8, c16, blocks[2])
        d = decoder_width
        self.lat16, self.lat8, self.lat4 = nn.Conv2d(c16, d, 1), nn.Conv2d(c8, d, 1), nn.Conv2d(c4, d, 1)
        self.lat2 = nn.Conv2d(c2, d, 1) if stride == 2 else None
        self.smooth = nn.Sequential(_conv_bn(d, d), ResBlock(d, d))
        self.head = _head(d, num_keypoints)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x - 0.5
        f2 = self.stem(x)
        f4 = self.s4(f2)
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        y = self.lat16(f16)
        y = F.interpolate(y, size=f8.shape[-2:], mode="bilinear", align_corners=False) + self.lat8(f8)
        y = F.interpolate(y, size=f4.shape[-2:], mode="bilinear", align_corners=False) + self.lat4(f4)
        if self.lat2 is not None:
            y = F.interpolate(y, size=f2.shape[-2:], mode="bilinear", align_corners=False) + self.lat2(f2)
        return _split(self.head(self.smooth(y)), self.num_keypoints)


def _head(d: int, k: int) -> nn.Sequential:
    """Per keypoint a heat logit and an (x, y) offset: 3K channels (K heat, then K x (dx, dy))."""
    head = nn.Sequential(_conv_bn(d, d), nn.Conv2d(d, 3 * k, 1))
    # Start with low heat everywhere so early training is not a sea of false peaks.
    nn.init.zeros_(head[-1].weight)
    with torch.no_grad():
        head[-1].bias.zero_()
        head[-1].bias[:k] = -4.0
    return head


def _split(out: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    b, _, h, w = out.shape
    return out[:, :k], out[:, k:].reshape(b, k, 2, h, w)


class PretrainedPoseNet(nn.Module):
    """An ImageNet-pretrained encoder (``backbones.PRETRAINED``) + feature-pyramid decoder
    + the heatmap/offset head of ``PoseNet``; same input ([0, 1], the encoder scales it as
    its checkpoint expects) and outputs.

    The decoder sums 1x1 projections of the encoder's features at strides 32, 16, 8 and 4
    (and 2 for output stride 2), upsampling bilinearly from the coarsest. ``frozen_bn``:
    the encoder's batch norms keep their ImageNet statistics (stay in eval mode) while the
    rest trains; batches of 8 give too noisy statistics to replace them with."""

    def __init__(self, backbone: str, encoder: nn.Module, num_keypoints: int, stride: int = 4,
                 decoder_width: int = 64, frozen_bn: bool = True):
        super().__init__()
        if stride not in (2, 4):
            raise SimgenError(f"model stride must be 2 or 4, not {stride}")
        self.backbone, self.num_keypoints, self.stride, self.frozen_bn = backbone, num_keypoints, stride, frozen_bn
        self.encoder = encoder
        self.levels = sorted((s for s in encoder.channels if s >= stride), reverse=True)  # 32, 16, 8, 4(, 2)
        d = decoder_width
        self.lateral = nn.ModuleDict({str(s): nn.Conv2d(encoder.channels[s], d, 1) for s in self.levels})
        self.smooth = nn.Sequential(_conv_bn(d, d), ResBlock(d, d))
        self.head = _head(d, num_keypoints)

    def train(self, mode: bool = True) -> PretrainedPoseNet:
        super().train(mode)
        if mode and self.frozen_bn:
            for m in self.encoder.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.encoder.features(x)
        y = None
        for s in self.levels:
            lat = self.lateral[str(s)](feats[s])
            y = lat if y is None else lat + F.interpolate(y, size=lat.shape[-2:], mode="bilinear",
                                                          align_corners=False)
        return _split(self.head(self.smooth(y)), self.num_keypoints)


@dataclass
class TrainedModel:
    """A network with what is needed to use it."""

    net: nn.Module  # PoseNet or PretrainedPoseNet (build_net)
    keypoints: list[str]
    swap_pairs: list[tuple[str, str]]
    input_size: tuple[int, int]  # width, height
    # the config it was trained with; a dict (a saved model's, or one built in code) is
    # validated by ``saved_config``
    config: PoseConfig = field(default_factory=PoseConfig)
    keypoint_set: str | None = None  # applied to simgen datasets at train time
    # what it was trained on: [{"path", "weight", "frames"}] (absolute paths; frames a
    # [start, stop] slice or a row list, or None); a fine-tuning run mixes these back in
    sources: list[dict] = field(default_factory=list)
    # top-down (several animals per image): {"margin": m}, the crop per animal's box it was
    # trained on (pose/topdown.py); None for a model of whole images of one animal
    topdown: dict | None = None
    # the keypoints' pairwise distances in the training labels (pose/body_prior.py: mean and
    # sd, input pixels); None for a model saved before it existed
    prior: dict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.config, PoseConfig):
            self.config = saved_config(self.config)

    @property
    def stride(self) -> int:
        return self.net.stride

    @property
    def backbone(self) -> str:
        return self.net.backbone

    @property
    def decode_prior(self) -> dict | None:
        """The body prior that prediction reads keypoints with, or None (argmaxes)."""
        return self.prior if self.config.body_prior else None

    def read_argmaxes(self) -> "TrainedModel":
        """From now on read each keypoint's strongest peak alone, without the body prior."""
        self.config = self.config.model_copy(update={"body_prior": False})
        return self

    def state(self) -> dict:
        state = {
            "format": "simgen-pose/1",
            "arch": {"num_keypoints": self.net.num_keypoints, **self.config.model.model_dump(mode="json")},
            "weights": self.net.state_dict(),
            "keypoints": self.keypoints,
            "swap_pairs": [list(p) for p in self.swap_pairs],
            "input_size": list(self.input_size),
            "config": self.config.model_dump(mode="json"),
            "keypoint_set": self.keypoint_set,
            "sources": self.sources,
        }
        if self.topdown is not None:  # absent for one animal, so those models stay as they were
            state["topdown"] = dict(self.topdown)
        if self.prior is not None:
            state["body_prior"] = dict(self.prior)
        return state

    def save(self, folder: Path) -> Path:
        from simgen.dataset.writer import atomic_write

        path = folder / MODEL_FILE
        with atomic_write(path) as tmp:  # makes the folder; a killed save leaves no torn model.pt
            torch.save(self.state(), tmp)
        return path


def saved_config(data: dict, source: str = "a pose model") -> PoseConfig:
    """A saved model's training config as a ``PoseConfig``. Fields added to the schema
    since the model was saved take their defaults (fields are only ever added); a config
    that does not validate is one ``SimgenError`` line naming ``source``."""
    from pydantic import ValidationError

    data = dict(data) if data is not None else {}
    if isinstance(data.get("finder"), dict) and "boxes" not in data["finder"]:
        # saved before the box was a choice: its finding stage and crops used mask boxes
        data["finder"] = {**data["finder"], "boxes": "mask"}
    try:
        return PoseConfig.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(map(str, e["loc"])) or "config"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SimgenError(f"{source}: its training config is not a valid pose config: {where}: {e['msg']}{more}; "
                          "retrain it, or fix the config recorded in it") from None


def build_net(num_keypoints: int, model_cfg: dict | ModelConfig, pretrained: bool = False,
              frozen_bn: bool = True) -> nn.Module:
    """The pose network of ``model_cfg`` (a saved model's ``arch`` minus ``num_keypoints``;
    one saved before backbones were a choice has none and is ``simgen``). ``pretrained``
    loads a pretrained backbone's ImageNet weights from its package (training from
    scratch needs them; loading a trained model does not, its weights hold them)."""
    m = model_cfg if isinstance(model_cfg, ModelConfig) else ModelConfig.model_validate(model_cfg)
    if m.backbone == "simgen":
        return PoseNet(num_keypoints, widths=tuple(m.widths), blocks=tuple(m.blocks), stride=m.stride,
                       decoder_width=m.decoder_width)
    from simgen.pose.backbones import PRETRAINED

    spec = PRETRAINED[m.backbone]
    encoder = spec.load() if pretrained else spec.network(classifier=False)
    return PretrainedPoseNet(m.backbone, encoder, num_keypoints, stride=m.stride, decoder_width=m.decoder_width,
                             frozen_bn=frozen_bn)


def load_model(path: str | Path, device: str = "cpu") -> TrainedModel:
    """A model folder (with model.pt) or the .pt file itself."""
    p = Path(path)
    if p.is_dir():
        p = p / MODEL_FILE
    if not p.is_file():
        raise SimgenError(f"{path}: no trained pose model (expected a folder with {MODEL_FILE})")
    try:
        state = torch.load(p, map_location=device, weights_only=False)
    except Exception as exc:  # torch raises many types for a bad file
        raise SimgenError(f"{p}: not a readable pose model ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != "simgen-pose/1":
        raise SimgenError(f"{p}: not a simgen pose model")
    arch = dict(state["arch"])
    net = build_net(arch.pop("num_keypoints"), arch)
    net.load_state_dict(state["weights"])
    net.to(device).eval()
    return TrainedModel(
        net=net,
        keypoints=list(state["keypoints"]),
        swap_pairs=[tuple(p) for p in state["swap_pairs"]],
        input_size=tuple(state["input_size"]),
        config=saved_config(state.get("config"), str(p)),
        keypoint_set=state.get("keypoint_set"),
        sources=list(state.get("sources") or []),
        topdown=state.get("topdown"),
        prior=state.get("body_prior"),
    )
