"""Distribution specs a numeric scene field may hold instead of a constant.

``uniform: [low, high]``, ``normal: [mean, std]`` (+ optional ``clip: [lo, hi]``),
``loguniform: [low, high]``, ``choice: [a, b, ...]`` (+ optional ``weights``) and
``randint: [low, high]`` (both ends included). Parameters are numbers; on a vector
field they may also be vectors: scalar parameters draw each component independently,
vector parameters describe the whole vector. Drawing lives in ``simgen.sampling``.

To add a distribution: a model here with one parameter key, its ``support``, an
entry in ``DISTRIBUTIONS``, and its draw in ``simgen.sampling.draw``.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any, ClassVar, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Strict,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

Scalar = Annotated[float, Strict()]  # strict: rejects "3" and True; ints are fine
Param = Union[Scalar, list[Scalar]]


class Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str]

    def params(self) -> list[Any]:
        raise NotImplementedError

    def dim(self) -> int | None:
        """Length of the vector the parameters describe, or None for scalar parameters."""
        dims = {len(p) for p in self.params() if isinstance(p, list)}
        if len(dims) > 1:
            raise ValueError(f"vector parameters of different lengths {sorted(dims)}")
        return dims.pop() if dims else None

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest value a draw can take (elementwise)."""
        raise NotImplementedError


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


class Uniform(Dist):
    kind: ClassVar[str] = "uniform"
    uniform: tuple[Param, Param]

    def params(self):
        return list(self.uniform)

    @model_validator(mode="after")
    def _check(self):
        self.dim()
        lo, hi = _arr(self.uniform[0]), _arr(self.uniform[1])
        if np.any(lo > hi):
            raise ValueError(f"uniform: low must be <= high (got {self.uniform[0]} > {self.uniform[1]})")
        return self

    def support(self):
        return _arr(self.uniform[0]), _arr(self.uniform[1])


class Normal(Dist):
    kind: ClassVar[str] = "normal"
    normal: tuple[Param, Param]
    clip: tuple[Param, Param] | None = None

    def params(self):
        return list(self.normal) + (list(self.clip) if self.clip else [])

    @model_validator(mode="after")
    def _check(self):
        self.dim()
        if np.any(_arr(self.normal[1]) < 0):
            raise ValueError(f"normal: std must be >= 0 (got {self.normal[1]})")
        if self.clip is not None and np.any(_arr(self.clip[0]) > _arr(self.clip[1])):
            raise ValueError(f"clip: low must be <= high (got {self.clip[0]} > {self.clip[1]})")
        return self

    def support(self):
        if self.clip is None:
            mean = _arr(self.normal[0])
            std = _arr(self.normal[1])
            wide = np.where(std > 0, np.inf, 0.0)
            return mean - wide, mean + wide
        return _arr(self.clip[0]), _arr(self.clip[1])


class LogUniform(Dist):
    kind: ClassVar[str] = "loguniform"
    loguniform: tuple[Param, Param]

    def params(self):
        return list(self.loguniform)

    @model_validator(mode="after")
    def _check(self):
        self.dim()
        lo, hi = _arr(self.loguniform[0]), _arr(self.loguniform[1])
        if np.any(lo <= 0):
            raise ValueError(f"loguniform: low must be > 0 (got {self.loguniform[0]})")
        if np.any(lo > hi):
            raise ValueError(f"loguniform: low must be <= high (got {self.loguniform[0]} > {self.loguniform[1]})")
        return self

    def support(self):
        return _arr(self.loguniform[0]), _arr(self.loguniform[1])


class Choice(Dist):
    kind: ClassVar[str] = "choice"
    choice: list[Param]
    weights: list[Scalar] | None = None

    def params(self):
        return list(self.choice)

    @model_validator(mode="after")
    def _check(self):
        if not self.choice:
            raise ValueError("choice: needs at least one option")
        self.dim()
        if any(isinstance(c, list) for c in self.choice) and not all(isinstance(c, list) for c in self.choice):
            raise ValueError("choice: options must be all numbers or all vectors")
        check_weights(self.weights, len(self.choice))
        return self

    def support(self):
        vals = _arr(self.choice)
        return vals.min(axis=0), vals.max(axis=0)


class RandInt(Dist):
    kind: ClassVar[str] = "randint"
    randint: tuple[Annotated[int, Strict()], Annotated[int, Strict()]]

    def params(self):
        return list(self.randint)

    @model_validator(mode="after")
    def _check(self):
        if self.randint[0] > self.randint[1]:
            raise ValueError(f"randint: low must be <= high (got {self.randint[0]} > {self.randint[1]})")
        return self

    def support(self):
        return _arr(self.randint[0]), _arr(self.randint[1])


def check_weights(weights: list[float] | None, n: int) -> None:
    if weights is None:
        return
    if len(weights) != n:
        raise ValueError(f"weights: {len(weights)} weights for {n} options")
    if any(w < 0 or not math.isfinite(w) for w in weights) or sum(weights) <= 0:
        raise ValueError("weights: must be >= 0 with a positive sum")


DISTRIBUTIONS: dict[str, type[Dist]] = {
    d.kind: d for d in (Uniform, Normal, LogUniform, Choice, RandInt)
}
DIST_HINT = "a number or a distribution ({uniform: [a, b]}, {normal: [mean, std]}, " \
            "{loguniform: [a, b]}, {choice: [...]}, {randint: [a, b]})"


def tag(kind: str) -> str:
    """Union tags are bracketed so error paths can drop them: ``<uniform>``."""
    return f"<{kind}>"


def _dist_kind(value: Any) -> str | None:
    if isinstance(value, Dist):
        return tag(value.kind)
    if isinstance(value, dict):
        keys = [k for k in value if k in DISTRIBUTIONS]
        return tag(keys[0]) if len(keys) == 1 else None
    return tag("const")


def _check_dist_dict(value: Any) -> Any:
    """Turn a dict without a known distribution key into a helpful error."""
    if isinstance(value, dict):
        keys = [k for k in value if k in DISTRIBUTIONS]
        if len(keys) > 1:
            raise PydanticCustomError("distribution", "give one distribution, not {keys}",
                                      {"keys": " and ".join(keys)})
        if not keys:
            unknown = next(iter(value), None)
            hint = difflib.get_close_matches(str(unknown), list(DISTRIBUTIONS), 1)
            msg = f"unknown distribution {unknown!r}" + (f" (did you mean {hint[0]!r}?)" if hint else
                                                         f"; expected {DIST_HINT}")
            raise PydanticCustomError("distribution", msg)
    return value


def _dist_variants(*extra: Any) -> list[Any]:
    return [Annotated[d, *extra, Tag(tag(k))] for k, d in DISTRIBUTIONS.items()]


def _scalar_only(value: Any) -> Any:
    if isinstance(value, Dist) and value.dim() is not None:
        raise PydanticCustomError("distribution", "this field is a single number; "
                                  "distribution parameters must be numbers, not vectors")
    return value


def _reject_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("number", "expected a number (got {value})", {"value": value})
    return value


#: A number or a scalar distribution.
Number = Annotated[
    Union[tuple([Annotated[Scalar, Tag(tag("const"))], *_dist_variants()])],
    Discriminator(_dist_kind),
    BeforeValidator(_check_dist_dict),
    BeforeValidator(_reject_bool),
    AfterValidator(_scalar_only),
]


def bounded(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
            hi_open: bool = False):
    """AfterValidator: every value the field can take lies in the interval."""

    def describe() -> str:
        parts = []
        if lo is not None:
            parts.append(f"> {lo:g}" if lo_open else f">= {lo:g}")
        if hi is not None:
            parts.append(f"< {hi:g}" if hi_open else f"<= {hi:g}")
        return " and ".join(parts)

    def check(value: Any) -> Any:
        if isinstance(value, Dist):
            low, high = value.support()
            values = [low, high]
        elif isinstance(value, (list, tuple)):
            for v in value:
                check(v)
            return value
        else:
            values = [_arr(value)]
        for v in values:
            bad = ((lo is not None and np.any(v <= lo if lo_open else v < lo))
                   or (hi is not None and np.any(v >= hi if hi_open else v > hi)))
            if bad:
                if isinstance(value, Dist):
                    if isinstance(value, Normal) and value.clip is None:
                        msg = f"must be {describe()}, but a normal without clip can take any value; add clip: [low, high]"
                    else:
                        msg = f"must be {describe()}, but this {value.kind} can reach {v.tolist()}"
                else:
                    msg = f"must be {describe()} (got {value:g})"
                raise PydanticCustomError("bounds", msg)
        return value

    check.bounds = describe()  # read by the scene reference generator
    return AfterValidator(check)


def _vector_of(n: int, allow_scalar: bool = False):
    def check(value: Any) -> Any:
        if allow_scalar and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, Dist):
            d = value.dim()
            if d is not None and d != n:
                raise PydanticCustomError("vector", "distribution parameters have {d} components, "
                                          "this field has {n}", {"d": d, "n": n})
            return value
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise PydanticCustomError("vector", "expected {n} values (got {got})", {"n": n, "got": len(value)})
        elif not isinstance(value, dict):
            raise PydanticCustomError("vector", f"expected a list of {n} values or a distribution (got {value!r})")
        return value

    return check


def _vector_kind(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return tag("components")
    return _dist_kind(value)


def Vector(n: int, *extra: Any) -> Any:
    """A vector field: a list of n numbers/distributions, or one distribution for all of it.

    ``extra`` annotations (e.g. ``bounded(0, 1)``) apply to every component.
    """
    component = Annotated[Number, *extra] if extra else Number
    return Annotated[
        Union[tuple([Annotated[list[component], Tag(tag("components"))], *_dist_variants(*extra)])],
        Discriminator(_vector_kind),
        AfterValidator(_vector_of(n)),
        BeforeValidator(_check_dist_dict),
        BeforeValidator(_vector_of(n)),
    ]


def ScalarOrVector(n: int, *extra: Any) -> Any:
    """A number standing for all n components (drawn once), or an n-vector field."""
    component = Annotated[Number, *extra] if extra else Number

    def kind(value: Any) -> str | None:
        if isinstance(value, (list, tuple)):
            return tag("components")
        return _dist_kind(value)

    return Annotated[
        Union[tuple([Annotated[Scalar, *extra, Tag(tag("const"))],
                     Annotated[list[component], Tag(tag("components"))], *_dist_variants(*extra)])],
        Discriminator(kind),
        AfterValidator(_vector_of(n, allow_scalar=True)),
        BeforeValidator(_check_dist_dict),
        BeforeValidator(_reject_bool),
    ]


def is_random(value: Any) -> bool:
    """True if the field value (number, distribution or vector) involves a distribution."""
    if isinstance(value, Dist):
        return True
    if isinstance(value, (list, tuple)):
        return any(is_random(v) for v in value)
    return False


def describe(value: Any) -> str:
    """Short text for a field value, e.g. ``uniform(0.9, 1.1)``."""
    if isinstance(value, Dist):
        params = ", ".join(str(p) for p in value.params())
        extra = f", clip={list(value.clip)}" if isinstance(value, Normal) and value.clip else ""
        extra += f", weights={value.weights}" if isinstance(value, Choice) and value.weights else ""
        return f"{value.kind}({params}{extra})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)
