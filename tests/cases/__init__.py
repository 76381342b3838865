"""Test cases of the matrix: one module per module of losses, each with ``CASES`` and ``INVALID``.

A ``Case`` names a registered loss, how to make its inputs, and an independent float64
NumPy ``reference`` written out from the formula (never a call into anyloss). Optional
``native`` references call the framework that the catalog names (torch, Optax, Keras,
scikit-learn); they run where that framework is installed.

Adding a loss to the matrix = one registry entry in ``src/anyloss`` + one ``Case`` here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# one module of cases per module of losses in src/anyloss
MODULES = (
    "regression",
    "classification",
    "divergence",
    "binary",
    "segmentation",
    "embedding",
    "ranking",
    "robust",
)


@dataclass(frozen=True)
class Native:
    """A framework's own implementation: ``fn(*arrays, reduction=..., **kwargs)``.

    ``fn`` receives float64/int64 NumPy arrays and returns anything ``np.asarray`` takes
    (torch tensors are detached for it). ``requires`` are the modules it imports.
    """

    name: str
    fn: Callable[..., Any]
    requires: tuple[str, ...]
    reductions: tuple[str, ...] = ("mean", "sum", "none")
    tolerance: float | None = None
    """Override of the float64 tolerance; set it only together with ``why``."""
    why: str = ""


KERAS_TOLERANCE = 1e-6
KERAS_WHY = "keras.ops.mean on the JAX backend loses float64 precision (measured 5e-8 relative)"


@dataclass(frozen=True)
class Case:
    """One input configuration of one loss, with its independent reference."""

    loss: str
    reference: Callable[..., Any]
    """``reference(*arrays, reduction=..., **kwargs)`` in float64 NumPy."""
    make: Callable[[np.random.Generator], tuple[Any, ...]] | None = None
    """Input arrays; ``None`` uses the registry's example (arrays and keywords)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    id: str = "default"
    native: tuple[Native, ...] = ()
    reductions: tuple[str, ...] = ("mean", "sum", "none")
    dtypes: tuple[str, ...] = ("float32", "float64")
    grad: bool = True
    """Check autograd against finite differences (off at kinks the inputs sit on)."""
    half: bool = True
    """Run in float16/bfloat16 on torch and jax (off where values overflow them)."""
    seed: int = 0

    @property
    def name(self) -> str:
        return f"{self.loss}-{self.id}"

    def inputs(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Arrays and keywords (float64 / int64 NumPy)."""
        import anyloss._registry as registry

        rng = np.random.default_rng(self.seed)
        if self.make is None:
            arrays, kw = registry.spec(self.loss).example(rng)
            return arrays, {**kw, **self.kwargs}
        return tuple(self.make(rng)), dict(self.kwargs)


def all_cases() -> list[Case]:
    out: list[Case] = []
    for mod in MODULES:
        out.extend(importlib.import_module(f"tests.cases.{mod}").CASES)
    return out


def all_invalid() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for mod in MODULES:
        out.update(importlib.import_module(f"tests.cases.{mod}").INVALID)
    return out


# --- helpers for writing references --------------------------------------------------


def reduce_ref(loss: Any, reduction: str) -> np.ndarray:
    """The plain reduction of an unreduced float64 reference."""
    loss = np.asarray(loss, dtype=np.float64)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.asarray(loss.sum())
    return np.asarray(loss.mean()) if loss.size else np.asarray(0.0)


def elementwise(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Turn an unreduced reference ``fn(*arrays, **kw)`` into ``reference(..., reduction=)``."""

    def reference(*arrays: Any, reduction: str = "mean", **kwargs: Any) -> np.ndarray:
        return reduce_ref(fn(*arrays, **kwargs), reduction)

    reference.__name__ = getattr(fn, "__name__", "reference")
    return reference


def torch_tensor(x: Any) -> Any:
    """A float64/int64 NumPy array as a torch CPU tensor (for native references)."""
    import torch

    return torch.from_numpy(np.array(x))  # contiguous copy; keeps 0-d arrays 0-d
