"""Makers of example inputs: ``arrays(maker, ...)`` builds an example from one maker per array.

An example is ``example(rng) -> (arrays, kwargs)`` with float64 / int64 / bool NumPy
arrays; a maker is ``maker(rng) -> array``. Shapes are small so that finite-difference
gradients stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "Example",
    "arrays",
    "binary",
    "boxes",
    "integers",
    "label_sets",
    "normal",
    "one_hot",
    "signs",
    "simplex",
    "uniform",
    "unit_rows",
]

Example = Callable[[np.random.Generator], tuple[tuple[Any, ...], dict[str, Any]]]
"""``example(rng) -> (arrays, kwargs)``: float64/int64 NumPy inputs for a loss."""


def arrays(*makers: Any, **kwargs: Any) -> Example:
    """An example made of one array per ``maker(rng)`` plus fixed keyword arguments."""

    def example(rng: np.random.Generator) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return tuple(m(rng) for m in makers), dict(kwargs)

    return example


def normal(*shape: int, scale: float = 1.0, loc: float = 0.0) -> Any:
    """Maker: standard-normal float64 values."""
    return lambda rng: loc + scale * rng.standard_normal(shape)


def uniform(*shape: int, low: float = 0.0, high: float = 1.0) -> Any:
    """Maker: uniform float64 values in ``[low, high)``."""
    return lambda rng: rng.uniform(low, high, shape)


def integers(*shape: int, high: int, low: int = 0) -> Any:
    """Maker: int64 values in ``[low, high)``."""
    return lambda rng: rng.integers(low, high, shape, dtype=np.int64)


def signs(*shape: int) -> Any:
    """Maker: float64 values in ``{-1, +1}``."""
    return lambda rng: rng.choice(np.array([-1.0, 1.0]), shape)


def binary(*shape: int) -> Any:
    """Maker: float64 values in ``{0, 1}``."""
    return lambda rng: rng.integers(0, 2, shape).astype(np.float64)


def one_hot(*shape: int) -> Any:
    """Maker: float64 one-hot vectors along the last axis of ``shape``."""

    def make(rng: np.random.Generator) -> Any:
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]

    return make


def simplex(*shape: int) -> Any:
    """Maker: probability vectors along the last axis (strictly positive)."""

    def make(rng: np.random.Generator) -> Any:
        p = rng.uniform(0.05, 1.0, shape)
        return p / p.sum(axis=-1, keepdims=True)

    return make


def unit_rows(n: int, d: int) -> Any:
    """Maker: ``(n, d)`` standard-normal rows scaled to unit length."""

    def make(rng: np.random.Generator) -> Any:
        x = rng.standard_normal((n, d))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return make


def label_sets(n: int, c: int) -> Any:
    """Maker: per row a random set of target classes, then -1 padding (``multilabel_margin``)."""

    def make(rng: np.random.Generator) -> Any:
        out = np.full((n, c), -1, dtype=np.int64)
        for row in out:
            k = int(rng.integers(1, c))
            row[:k] = rng.permutation(c)[:k]
        return out

    return make


def boxes(n: int = 6) -> Any:
    """Maker: ``n`` boxes with corners in order: top-left in [0, 4)², sides in (0.5, 3)."""

    def make(rng: np.random.Generator) -> Any:
        top_left = rng.uniform(0.0, 4.0, (n, 2))
        return np.concatenate([top_left, top_left + rng.uniform(0.5, 3.0, (n, 2))], axis=1)

    return make
