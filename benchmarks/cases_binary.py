"""Binary benchmarks: logits and {0, 1} targets of 65536 × 1000 ("large") and 4 × 4 ("tiny").

``binary_cross_entropy_with_logits`` and ``sigmoid_focal`` against
``torch.nn.functional.binary_cross_entropy_with_logits`` / the torchvision focal formula
written in torch (torchvision itself is not installed), ``optax.sigmoid_binary_cross_entropy``
/ ``optax.sigmoid_focal_loss`` (the runner jits both sides), and NumPy / CuPy formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import anyloss
from benchmarks._bench import Bench

SHAPES = {"large": (65536, 1000), "tiny": (4, 4)}
BACKENDS = ("numpy", "torch", "jax", "torch-cuda", "cupy")


def _setup(backend: str) -> Any:
    def setup(size: str) -> tuple[Any, ...]:
        rng = np.random.default_rng(0)
        shape = SHAPES[size]
        z = rng.standard_normal(shape, dtype=np.float32) * 2
        t = (rng.random(shape, dtype=np.float32) < 0.3).astype(np.float32)
        if backend.startswith("torch"):
            import torch

            dev = "cuda" if backend == "torch-cuda" else "cpu"
            return torch.from_numpy(z).to(dev), torch.from_numpy(t).to(dev)
        if backend == "jax":
            import jax.numpy as jnp

            return jnp.asarray(z), jnp.asarray(t)
        if backend == "cupy":
            import cupy

            return cupy.asarray(z), cupy.asarray(t)
        return z, t

    return setup


# --- natives -----------------------------------------------------------------------------


def _torch_bce(z: Any, t: Any) -> Any:
    import torch.nn.functional as F

    return F.binary_cross_entropy_with_logits(z, t)


def _torch_focal(z: Any, t: Any, alpha: float = 0.25, gamma: float = 2.0) -> Any:
    """``torchvision.ops.sigmoid_focal_loss(reduction="mean")``, line for line."""
    import torch
    import torch.nn.functional as F

    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return (alpha_t * loss).mean()


def _optax_bce(z: Any, t: Any) -> Any:
    import jax.numpy as jnp
    import optax

    return jnp.mean(optax.sigmoid_binary_cross_entropy(z, t))


def _optax_focal(z: Any, t: Any) -> Any:
    import jax.numpy as jnp
    import optax

    return jnp.mean(optax.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2.0))


def _xp_of(z: Any) -> Any:
    if type(z).__module__.startswith("cupy"):
        import cupy

        return cupy
    return np


def _np_bce(z: Any, t: Any) -> Any:
    xp = _xp_of(z)
    return xp.mean(xp.logaddexp(0, z) - t * z)


def _np_focal(z: Any, t: Any, alpha: float = 0.25, gamma: float = 2.0) -> Any:
    xp = _xp_of(z)
    ce = xp.logaddexp(0, z) - t * z
    p = 1 / (1 + xp.exp(-z))
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return xp.mean(alpha_t * ce * (1 - p_t) ** gamma)


def _natives(backend: str) -> tuple[tuple[Any, str], tuple[Any, str]]:
    if backend.startswith("torch"):
        return (
            (_torch_bce, "F.binary_cross_entropy_with_logits"),
            (_torch_focal, "torchvision formula (torch)"),
        )
    if backend == "jax":
        return (
            (_optax_bce, "optax.sigmoid_binary_cross_entropy"),
            (_optax_focal, "optax.sigmoid_focal_loss"),
        )
    return (_np_bce, "formula"), (_np_focal, "formula")


BENCHES: list[Bench] = []
for _backend in BACKENDS:
    (_bce, _bce_name), (_focal, _focal_name) = _natives(_backend)
    BENCHES += [
        Bench(
            "binary_cross_entropy_with_logits",
            _backend,
            _setup(_backend),
            anyloss.binary_cross_entropy_with_logits,
            _bce,
            _bce_name,
        ),
        Bench(
            "sigmoid_focal", _backend, _setup(_backend), anyloss.sigmoid_focal, _focal, _focal_name
        ),
    ]
