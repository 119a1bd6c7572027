"""Keypoint sets: which named points a dataset or export uses, and how to get them.

A keypoint set (``configs/keypoints/<name>.yaml``) maps each output name to a source
keypoint of the animal, or to the mean of several (``{mean: [a, b]}``), optionally
weighted (``{mean: [a, b], weights: [3, 1]}``: a quarter of the way from a to b, for a
lab whose labelers click a part somewhere between two of the animal's points), and lists
the set's skeleton edges and left/right swap pairs. ``default.yaml`` is the identity over
the bundled mouse; ``openfield_dlc.yaml`` maps it to DeepLabCut's open-field names.

Pure numpy. Arrays may carry leading batch axes: the keypoint axis is always ``-2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simgen.errors import ConfigError, SimgenError


class _Mean(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mean: list[str] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _check_weights(self) -> _Mean:
        if self.weights is not None:
            if len(self.weights) != len(self.mean):
                raise ValueError(f"weights has {len(self.weights)} entries but mean names {len(self.mean)}")
            if any(not w > 0 for w in self.weights):
                raise ValueError("weights must be positive (leave a keypoint out instead of weighting it 0)")
        return self


class _KeypointSetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    keypoints: dict[str, str | _Mean] = Field(min_length=1)
    skeleton: list[tuple[str, str]] = Field(default_factory=list)
    swap_pairs: list[tuple[str, str]] = Field(default_factory=list)


@dataclass(frozen=True)
class KeypointSet:
    """Output keypoints, each the mean of one or more source keypoints."""

    name: str
    sources: dict[str, tuple[str, ...]]  # output name -> source names (in output order)
    skeleton: list[tuple[str, str]] = field(default_factory=list)
    swap_pairs: list[tuple[str, str]] = field(default_factory=list)
    description: str = ""
    weights: dict[str, tuple[float, ...]] = field(default_factory=dict)  # output name -> weights; absent: equal

    def __post_init__(self) -> None:
        names = set(self.sources)
        for n, w in self.weights.items():
            if n not in names or len(w) != len(self.sources[n]):
                raise SimgenError(f"keypoint set {self.name!r}: weights for {n!r} do not match its sources")
        for what, pairs in (("skeleton", self.skeleton), ("swap_pairs", self.swap_pairs)):
            for a, b in pairs:
                for n in (a, b):
                    if n not in names:
                        raise SimgenError(
                            f"keypoint set {self.name!r}: {what} names {n!r}, which is not one of its keypoints"
                        )

    # -- construction ------------------------------------------------------------------
    @classmethod
    def identity(
        cls,
        names: list[str],
        skeleton: list[tuple[str, str]] | None = None,
        swap_pairs: list[tuple[str, str]] | None = None,
        name: str = "identity",
    ) -> KeypointSet:
        return cls(
            name=name,
            sources={n: (n,) for n in names},
            skeleton=[tuple(e) for e in (skeleton or [])],
            swap_pairs=[tuple(p) for p in (swap_pairs or [])],
        )

    @classmethod
    def from_dict(cls, data: Any, source: str = "<keypoint set>") -> KeypointSet:
        try:
            f = _KeypointSetFile.model_validate(data)
        except ValidationError as exc:
            from simgen.scene.messages import format_validation_error
            from simgen.scene.yamlsrc import Origin

            raise ConfigError(format_validation_error(exc, _KeypointSetFile, {(): Origin(source)})) from None
        return cls._from_file(f)

    @classmethod
    def _from_file(cls, f: _KeypointSetFile) -> KeypointSet:
        sources = {out: (src,) if isinstance(src, str) else tuple(src.mean) for out, src in f.keypoints.items()}
        weights = {out: tuple(src.weights) for out, src in f.keypoints.items()
                   if not isinstance(src, str) and src.weights is not None}
        return cls(
            name=f.name,
            sources=sources,
            weights=weights,
            skeleton=[tuple(e) for e in f.skeleton],
            swap_pairs=[tuple(p) for p in f.swap_pairs],
            description=f.description,
        )

    @classmethod
    def load(cls, name_or_path: str | Path) -> KeypointSet:
        """A bundled set by bare name (``openfield_dlc``) or a YAML file by path."""
        text = str(name_or_path)
        looks_like_path = isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text
        if looks_like_path:
            path = Path(name_or_path)  # missing, or a folder: load_yaml_model says which (exit 2)
        else:
            from simgen.resources import config_path

            path = config_path("keypoints", text)
        from simgen.scene.loader import load_yaml_model

        return cls._from_file(load_yaml_model(path, _KeypointSetFile, what="keypoint set file"))

    # -- queries -----------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.sources)

    @property
    def skeleton_indices(self) -> list[tuple[int, int]]:
        idx = {n: i for i, n in enumerate(self.names)}
        return [(idx[a], idx[b]) for a, b in self.skeleton]

    @property
    def swap_indices(self) -> list[tuple[int, int]]:
        idx = {n: i for i, n in enumerate(self.names)}
        return [(idx[a], idx[b]) for a, b in self.swap_pairs]

    def covers(self, src_names: list[str]) -> bool:
        """Whether every output's sources are among ``src_names``."""
        have = set(src_names)
        return all(set(srcs) <= have for srcs in self.sources.values())

    def _source_indices(self, src_names: list[str]) -> list[list[int]]:
        pos = {n: i for i, n in enumerate(src_names)}
        out = []
        for name, srcs in self.sources.items():
            missing = [s for s in srcs if s not in pos]
            if missing:
                raise SimgenError(
                    f"keypoint set {self.name!r}: {name!r} needs {', '.join(map(repr, missing))}, "
                    f"which the source lacks (it has: {', '.join(src_names)})"
                )
            out.append([pos[s] for s in srcs])
        return out

    # -- mapping -----------------------------------------------------------------------
    def map_points(self, src_names: list[str], points: np.ndarray) -> np.ndarray:
        """(..., N, D) source points -> (..., M, D) outputs (the, possibly weighted, mean of each output's sources)."""
        points = np.asarray(points, dtype=float)
        if points.shape[-2] != len(src_names):
            raise SimgenError(f"{points.shape[-2]} points but {len(src_names)} source names")
        return np.stack(
            [np.average(points[..., ix, :], axis=-2, weights=self.weights.get(name))
             for name, ix in zip(self.sources, self._source_indices(src_names))],
            axis=-2,
        )

    def map_labels(self, src_names: list[str], xyv: np.ndarray) -> np.ndarray:
        """(..., N, 3) x, y, v -> (..., M, 3); x, y the mean of the sources, v their minimum.

        The minimum because a mean point is only as visible as its least visible part:
        half an ear hidden makes "the ear" occluded.
        """
        xyv = np.asarray(xyv, dtype=float)
        if xyv.shape[-1] != 3:
            raise SimgenError("labels must be (..., N, 3): x, y, visibility")
        xy = self.map_points(src_names, xyv[..., :2])
        v = np.stack([xyv[..., ix, 2].min(axis=-1) for ix in self._source_indices(src_names)], axis=-1)
        return np.concatenate([xy, v[..., None]], axis=-1)
