"""Test cases of the matrix: one module per module of losses, each with ``CASES`` and ``INVALID``.

A ``Case`` names a registered loss, how to make its inputs, and an independent float64
NumPy ``reference`` written out from the formula (never a call into anyloss). Optional
``native`` references call the framework that the catalog names (torch, Optax, Keras,
scikit-learn); they run where that framework is installed.

Adding a loss to the matrix = one registry entry in ``src/anyloss``, its example in
``anyloss/_checker/examples.py`` + one ``Case`` here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def case_modules() -> list[str]:
    """One module of cases per module of losses: the modules the registry's losses live in."""
    import anyloss
    from anyloss._registry import spec

    return sorted({spec(name).fn.__module__.rsplit(".", 1)[1] for name in anyloss.available()})


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
    """Input arrays; ``None`` uses the loss's example (arrays and keywords) from
    ``anyloss._checker.examples``."""
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
        from anyloss._checker import example

        rng = np.random.default_rng(self.seed)
        if self.make is None:
            arrays, kw = example(self.loss)(rng)
            return arrays, {**kw, **self.kwargs}
        return tuple(self.make(rng)), dict(self.kwargs)


def all_cases() -> list[Case]:
    out: list[Case] = []
    for mod in case_modules():
        out.extend(importlib.import_module(f"tests.cases.{mod}").CASES)
    return out


EXTREME_IDS = ("satur", "1e4", "large", "huge")
"""Words in a case id that mark extreme inputs (saturated logits, 1e4, huge residuals)."""


def representative_cases() -> list[Case]:
    """Each loss's first case (its default) plus its extreme-input cases: for the checks
    whose cost is a compile per case (eager jax op by op, jitted gradients) and whose
    subject is the code path more than the inputs; every case still runs in the matrix."""
    first: dict[str, Case] = {}
    out = []
    for case in all_cases():
        if case.loss not in first or any(k in case.id for k in EXTREME_IDS):
            first.setdefault(case.loss, case)
            out.append(case)
    return out


@dataclass(frozen=True)
class Domain:
    """A value check of one array argument of a loss: each of ``bad``, put into the
    loss's example at the argument's first element, raises ``ValueError`` naming
    ``name`` on every backend whose values are read (``anyloss.value_checks``)."""

    position: int
    name: str
    bad: tuple[float, ...] = (-0.1, 1.5)
    """A value below the domain and one above it (only below for a half-line)."""
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        flags = "".join(f"-{k}" for k in self.kwargs)
        return f"{self.name}{flags}"


def all_domains() -> dict[str, list[Domain]]:
    """The value domains of the modules' ``DOMAINS`` (losses that check argument values)."""
    out: dict[str, list[Domain]] = {}
    for mod in case_modules():
        out.update(getattr(importlib.import_module(f"tests.cases.{mod}"), "DOMAINS", {}))
    return out


def all_invalid() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for mod in case_modules():
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


def torch_tensors(arrays: Any, kw: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The NumPy arrays among ``arrays`` and ``kw``'s values as torch tensors."""
    conv = [torch_tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    return conv, {k: torch_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


def torch_native(fname: str, **fixed: Any) -> Native:
    """``torch.nn.functional.<fname>(*arrays, reduction=..., **fixed, **kwargs)``."""

    def fn(*arrays: Any, reduction: str = "mean", **kw: Any) -> Any:
        import torch.nn.functional as F

        tensors, kw = torch_tensors(arrays, kw)
        return getattr(F, fname)(*tensors, reduction=reduction, **fixed, **kw)

    return Native(f"torch.nn.functional.{fname}", fn, ("torch",))


def optax_native(fname: str, **defaults: Any) -> Native:
    """An elementwise ``optax.<fname>(pred, target, **kwargs)``, reduced as ``reduce_ref``."""

    def fn(pred: Any, target: Any, reduction: str = "mean", **kw: Any) -> Any:
        import optax

        out = np.asarray(getattr(optax, fname)(pred, target, **{**defaults, **kw}))
        return reduce_ref(out, reduction)

    return Native(f"optax.{fname}", fn, ("optax",))


def reduced(out: Any, reduction: str) -> Any:
    """A native's per-element output reduced as ``reduction`` says, in float64."""
    out = np.asarray(out, dtype=np.float64)
    return out if reduction == "none" else (out.sum() if reduction == "sum" else out.mean())


def simplex(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> Any:
    """Probability vectors along ``axis`` (strictly positive)."""
    p = rng.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)
