"""Regression benchmarks: ~1M elements ("large") and 16 elements ("tiny")."""

from __future__ import annotations

from typing import Any

import numpy as np

import anyloss
from benchmarks._bench import Bench

SHAPES = {"large": (1024, 1024), "tiny": (4, 4)}


def _pair(backend: str) -> Any:
    def setup(size: str) -> tuple[Any, ...]:
        rng = np.random.default_rng(0)
        p, t = (rng.standard_normal(SHAPES[size]).astype(np.float32) for _ in range(2))
        if backend.startswith("torch"):
            import torch

            dev = "cuda" if backend == "torch-cuda" else "cpu"
            return torch.from_numpy(p).to(dev), torch.from_numpy(t).to(dev)
        if backend == "jax":
            import jax.numpy as jnp

            return jnp.asarray(p), jnp.asarray(t)
        if backend == "cupy":
            import cupy

            return cupy.asarray(p), cupy.asarray(t)
        return p, t

    return setup


def _torch(name: str, **kw: Any) -> Any:
    def fn(p: Any, t: Any) -> Any:
        import torch.nn.functional as F

        return getattr(F, name)(p, t, **kw)

    return fn


def _np_huber(p: Any, t: Any) -> Any:
    a = np.abs(p - t)
    return np.mean(np.where(a < 1.0, 0.5 * a * a, a - 0.5))


def _jnp(formula: str) -> Any:
    def fn(p: Any, t: Any) -> Any:
        import jax.numpy as jnp
        import optax

        d = p - t
        if formula == "mse":
            return jnp.mean(optax.l2_loss(p, t)) * 2
        if formula == "huber":
            return jnp.mean(optax.huber_loss(p, t, delta=1.0))
        if formula == "log_cosh":
            return jnp.mean(optax.log_cosh(p, t))
        return jnp.mean(jnp.abs(d))

    return fn


BENCHES: list[Bench] = []
for _backend in ("numpy", "torch", "jax", "torch-cuda", "cupy"):
    _numpyish = _backend in ("numpy", "cupy")
    BENCHES += [
        Bench(
            "mse",
            _backend,
            _pair(_backend),
            anyloss.mse,
            (lambda p, t: ((p - t) ** 2).mean())
            if _numpyish
            else _torch("mse_loss")
            if _backend.startswith("torch")
            else _jnp("mse"),
            "formula"
            if _numpyish
            else "F.mse_loss"
            if _backend.startswith("torch")
            else "optax.l2_loss",
        ),
        Bench(
            "mae",
            _backend,
            _pair(_backend),
            anyloss.mae,
            (lambda p, t: abs(p - t).mean())
            if _numpyish
            else _torch("l1_loss")
            if _backend.startswith("torch")
            else _jnp("mae"),
            "formula"
            if _numpyish
            else "F.l1_loss"
            if _backend.startswith("torch")
            else "jnp formula",
        ),
        Bench(
            "huber",
            _backend,
            _pair(_backend),
            anyloss.huber,
            _np_huber
            if _backend == "numpy"
            else _torch("huber_loss")
            if _backend.startswith("torch")
            else _jnp("huber"),
            "formula"
            if _numpyish
            else "F.huber_loss"
            if _backend.startswith("torch")
            else "optax.huber_loss",
        ),
    ]
