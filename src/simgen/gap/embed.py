"""Image embeddings: the pose model's encoder, or a fixed random CNN without a model.

With a model: the encoder's stride-16 features of the letterboxed frame, pooled by
mean and standard deviation (what the pose head sees, summarised). Without one: the
seeded random CNN of ``simgen.style.metrics`` (the same features `simgen style score`
uses). Rows are L2-normalised after standardisation is left to the caller.
"""

from __future__ import annotations

import numpy as np

from simgen.pose.model import TrainedModel


def model_features(model: TrainedModel, images: list[np.ndarray], batch_size: int = 16) -> np.ndarray:
    import torch

    from simgen.pose.data import letterbox

    net = model.net.eval()
    out = []
    with torch.no_grad():
        for a in range(0, len(images), batch_size):
            batch = np.stack([letterbox(im, model.input_size)[0] for im in images[a:a + batch_size]])
            x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0 - 0.5
            f = net.s16(net.s8(net.s4(net.stem(x))))
            out.append(torch.cat([f.mean(dim=(2, 3)), f.std(dim=(2, 3))], 1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 1))


def embed(images: list[np.ndarray], model: TrainedModel | None = None) -> np.ndarray:
    """(N, D) features; ``model`` None (or a net without the PoseNet encoder) uses the fixed random CNN."""
    if model is not None and hasattr(model.net, "s16"):  # a PoseNet encoder
        return model_features(model, images)
    from simgen.style.metrics import cnn_features

    return cnn_features(images)


def standardize(a: np.ndarray, b: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Scale columns by the pooled mean/std of ``a`` (and ``b``)."""
    pooled = a if b is None else np.concatenate([a, b])
    mu, sd = pooled.mean(axis=0), pooled.std(axis=0) + 1e-6
    return (a - mu) / sd, None if b is None else (b - mu) / sd
