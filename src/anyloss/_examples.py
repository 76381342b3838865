"""Example-input generators for the registry (used by ``anyloss check`` and the tests).

Each returns ``example(rng) -> (arrays, kwargs)`` with float64 / int64 NumPy arrays.
Shapes are small so that finite-difference gradients stay cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._registry import Example

__all__ = ["arrays", "binary", "integers", "normal", "one_hot", "signs", "simplex", "uniform"]


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
