"""Robust benchmarks: general_robust at ~1M elements ("large") and 16 ("tiny").

There is no framework-native robust loss; the comparison is the reference code's
``general.lossfun`` formula (Barron's google-research/robust_loss, every branch computed
and selected with ``where``) written out in torch (eager), jnp (jitted by the runner) and
NumPy / CuPy. Two settings: a Python-float alpha (anyloss picks its one branch in
Python) and a per-column alpha array (every branch, then ``where``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import anyloss
from benchmarks._bench import Bench

SHAPES = {"large": (1024, 1024), "tiny": (4, 4)}
_ALPHA = 1.5


def _setup(backend: str, alpha_array: bool) -> Any:
    def setup(size: str) -> tuple[Any, ...]:
        rng = np.random.default_rng(0)
        shape = SHAPES[size]
        p, t = (3 * rng.standard_normal(shape).astype(np.float32) for _ in range(2))
        a = (
            np.linspace(-4.0, 4.0, shape[1], dtype=np.float32)
            if alpha_array
            else np.float32(_ALPHA)
        )
        arrays = (p, t, a)
        if backend.startswith("torch"):
            import torch

            dev = "cuda" if backend == "torch-cuda" else "cpu"
            return tuple(torch.as_tensor(v).to(dev) for v in arrays)
        if backend == "jax":
            import jax.numpy as jnp

            return tuple(jnp.asarray(v) for v in arrays)
        if backend == "cupy":
            import cupy

            return tuple(cupy.asarray(v) for v in arrays)
        return arrays

    return setup


def _ours(alpha_array: bool) -> Any:
    if alpha_array:
        return lambda p, t, a: anyloss.general_robust(p, t, alpha=a, scale=1.0)
    return lambda p, t, a: anyloss.general_robust(p, t, alpha=_ALPHA, scale=1.0)


def _module(lib: str) -> tuple[Any, Any]:
    """The array module of ``lib`` and its ``clip(x, lo, hi)``."""
    if lib == "torch":
        import torch

        return torch, lambda x, lo=None, hi=None: torch.clamp(x, min=lo, max=hi)
    if lib == "jax":
        import jax.numpy as jnp

        return jnp, jnp.clip
    if lib == "cupy":
        import cupy

        return cupy, cupy.clip
    return np, np.clip


def _reference_formula(lib: str) -> Any:
    """The reference code's ``general.lossfun`` (|alpha - 2|, |alpha| clamped at float32 eps)."""

    def fn(p: Any, t: Any, alpha: Any) -> Any:
        m, clip = _module(lib)
        eps = float(np.finfo(np.float32).eps)
        sq = (p - t) ** 2  # scale = 1
        beta_safe = clip(abs(alpha - 2.0), eps, None)
        alpha_safe = m.where(alpha >= 0, 1.0, -1.0) * clip(abs(alpha), eps, None)
        otherwise = (beta_safe / alpha_safe) * ((sq / beta_safe + 1.0) ** (0.5 * alpha) - 1.0)
        loss = m.where(alpha == 2, 0.5 * sq, otherwise)
        loss = m.where(alpha == 0, m.log1p(0.5 * sq), loss)
        loss = m.where(alpha == -np.inf, -m.expm1(-0.5 * sq), loss)
        loss = m.where(alpha == np.inf, m.expm1(clip(0.5 * sq, None, 87.5)), loss)
        return loss.mean()

    return fn


_NATIVE_NAME = {
    "numpy": "reference formula (NumPy)",
    "cupy": "reference formula (CuPy)",
    "torch": "reference formula (torch eager)",
    "torch-cuda": "reference formula (torch eager)",
    "jax": "reference formula (jnp, jit)",
}

BENCHES: list[Bench] = []
for _backend in ("numpy", "torch", "jax", "torch-cuda", "cupy"):
    _lib = "torch" if _backend.startswith("torch") else _backend
    for _array in (False, True):
        BENCHES.append(
            Bench(
                "general_robust" + ("[alpha array]" if _array else "[alpha=1.5]"),
                _backend,
                _setup(_backend, _array),
                _ours(_array),
                _reference_formula(_lib),
                _NATIVE_NAME[_backend],
            )
        )
