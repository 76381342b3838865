"""Classification benchmarks: softmax cross-entropy, N=65536 × C=1000 ("large") and 4 × 5 ("tiny").

Two targets: integer class indices and class probabilities, against
``torch.nn.functional.cross_entropy`` (torch, torch-cuda), ``optax.softmax_cross_entropy``
/ ``softmax_cross_entropy_with_integer_labels`` (jax) and a NumPy/CuPy formula.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

import anyloss
from benchmarks._bench import Bench

SHAPES = {"large": (65536, 1000), "tiny": (4, 5)}
BACKENDS = ("numpy", "torch", "jax", "torch-cuda", "cupy")


def _inputs(backend: str, target: str) -> Any:
    """Float32 logits and int64 labels or float32 probabilities on ``backend``."""

    def setup(size: str) -> tuple[Any, ...]:
        n, c = SHAPES[size]
        rng = np.random.default_rng(0)
        logits = (2 * rng.standard_normal((n, c))).astype(np.float32)
        if target == "labels":
            t = rng.integers(0, c, n, dtype=np.int64)
        else:
            t = rng.uniform(0.0, 1.0, (n, c)).astype(np.float32)
            t /= t.sum(axis=1, keepdims=True)
        if backend.startswith("torch"):
            import torch

            dev = "cuda" if backend == "torch-cuda" else "cpu"
            return torch.from_numpy(logits).to(dev), torch.from_numpy(t).to(dev)
        if backend == "jax":
            import jax.numpy as jnp

            return jnp.asarray(logits), jnp.asarray(t)
        if backend == "cupy":
            import cupy

            return cupy.asarray(logits), cupy.asarray(t)
        return logits, t

    return setup


def _torch_ce(x: Any, t: Any) -> Any:
    import torch.nn.functional as F

    return F.cross_entropy(x, t)


def _optax_labels(x: Any, t: Any) -> Any:
    import optax

    return optax.softmax_cross_entropy_with_integer_labels(x, t).mean()


def _optax_probs(x: Any, t: Any) -> Any:
    import optax

    return optax.softmax_cross_entropy(x, t).mean()


def _formula(target: str) -> Any:
    """The textbook formula with the array's own module (NumPy or CuPy)."""

    def fn(x: Any, t: Any) -> Any:
        xp = importlib.import_module(type(x).__module__.split(".")[0])  # numpy or cupy
        m = x.max(axis=1, keepdims=True)
        lse = xp.log(xp.exp(x - m).sum(axis=1)) + m[:, 0]
        if target == "labels":
            return (lse - xp.take_along_axis(x, t[:, None], axis=1)[:, 0]).mean()
        return (lse * t.sum(axis=1) - (t * x).sum(axis=1)).mean()

    return fn


def _native(backend: str, target: str) -> tuple[Any, str]:
    if backend.startswith("torch"):
        return _torch_ce, "F.cross_entropy"
    if backend == "jax":
        if target == "labels":
            return _optax_labels, "optax.softmax_cross_entropy_with_integer_labels"
        return _optax_probs, "optax.softmax_cross_entropy"
    return _formula(target), "formula"


BENCHES: list[Bench] = []
for _backend in BACKENDS:
    for _target in ("labels", "probs"):
        _fn, _name = _native(_backend, _target)
        BENCHES.append(
            Bench(
                f"cross_entropy ({_target})",
                _backend,
                _inputs(_backend, _target),
                anyloss.cross_entropy,
                _fn,
                _name,
            )
        )
