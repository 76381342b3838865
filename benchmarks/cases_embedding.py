"""Embedding benchmarks: ntxent on (4096, 256), triplet_margin on 3 x (16384, 128), plus tiny sizes.

ntxent's batch holds two views per label (SimCLR layout), temperature 0.07.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

import anyloss
from benchmarks._bench import Bench

NTXENT_SHAPES = {"large": (4096, 256), "tiny": (8, 4)}
TRIPLET_SHAPES = {"large": (16384, 128), "tiny": (4, 4)}
TEMPERATURE = 0.07


def _to(backend: str, arrays: list[np.ndarray]) -> tuple[Any, ...]:
    if backend.startswith("torch"):
        import torch

        dev = "cuda" if backend == "torch-cuda" else "cpu"
        return tuple(torch.from_numpy(a).to(dev) for a in arrays)
    if backend == "jax":
        import jax.numpy as jnp

        return tuple(jnp.asarray(a) for a in arrays)
    if backend == "cupy":
        import cupy

        return tuple(cupy.asarray(a) for a in arrays)
    return tuple(arrays)


def _ntxent_inputs(backend: str) -> Any:
    def setup(size: str) -> tuple[Any, ...]:
        n, d = NTXENT_SHAPES[size]
        rng = np.random.default_rng(0)
        e = rng.standard_normal((n, d)).astype(np.float32)
        labels = np.concatenate([np.arange(n // 2), np.arange(n // 2)]).astype(np.int64)
        return _to(backend, [e, labels])

    return setup


def _triplet_inputs(backend: str) -> Any:
    def setup(size: str) -> tuple[Any, ...]:
        rng = np.random.default_rng(0)
        return _to(
            backend,
            [rng.standard_normal(TRIPLET_SHAPES[size]).astype(np.float32) for _ in range(3)],
        )

    return setup


# --- natives -------------------------------------------------------------------------------


def _ours_ntxent(e: Any, labels: Any) -> Any:
    return anyloss.ntxent(e, labels, temperature=TEMPERATURE)


def _optax_ntxent(e: Any, labels: Any) -> Any:
    import optax

    return optax.ntxent(e, labels, temperature=TEMPERATURE)


def _torch_ntxent(e: Any, labels: Any) -> Any:
    """The usual eager torch NT-Xent: softmax over each positive and the anchor's negatives."""
    import torch
    import torch.nn.functional as F

    u = F.normalize(e, dim=1)
    s = u @ u.T / TEMPERATURE
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=e.device)
    positive = same & ~eye
    lse = torch.logsumexp(s.masked_fill(same, -torch.inf), dim=1, keepdim=True)
    return F.softplus(lse - s)[positive].mean()


def _array_ntxent(module: str) -> Any:
    """The same formula on NumPy or CuPy (imported when called)."""

    def fn(e: Any, labels: Any) -> Any:
        mod = importlib.import_module(module)
        u = e / mod.linalg.norm(e, axis=1, keepdims=True)
        s = u @ u.T / TEMPERATURE
        same = labels[:, None] == labels[None, :]
        positive = same & ~mod.eye(len(labels), dtype=bool)
        neg = mod.where(same, -mod.inf, s)
        top = neg.max(axis=1, keepdims=True)
        lse = top + mod.log(mod.exp(neg - top).sum(axis=1, keepdims=True))
        return mod.logaddexp(0, lse - s)[positive].mean()

    return fn


def _ours_triplet(a: Any, p: Any, n: Any) -> Any:
    return anyloss.triplet_margin(a, p, n)


def _torch_triplet(a: Any, p: Any, n: Any) -> Any:
    import torch.nn.functional as F

    return F.triplet_margin_loss(a, p, n)


def _optax_triplet(a: Any, p: Any, n: Any) -> Any:
    import optax

    return optax.losses.triplet_margin_loss(a, p, n).mean()


def _array_triplet(module: str) -> Any:
    def fn(a: Any, p: Any, n: Any) -> Any:
        mod = importlib.import_module(module)
        d_pos = mod.linalg.norm(a - p + 1e-6, axis=-1)
        d_neg = mod.linalg.norm(a - n + 1e-6, axis=-1)
        return mod.maximum(1.0 + d_pos - d_neg, 0.0).mean()

    return fn


NATIVES: dict[str, dict[str, tuple[Any, str]]] = {
    "ntxent": {
        "numpy": (_array_ntxent("numpy"), "numpy formula"),
        "torch": (_torch_ntxent, "torch formula"),
        "torch-cuda": (_torch_ntxent, "torch formula"),
        "jax": (_optax_ntxent, "optax.ntxent"),
        "cupy": (_array_ntxent("cupy"), "cupy formula"),
    },
    "triplet_margin": {
        "numpy": (_array_triplet("numpy"), "numpy formula"),
        "torch": (_torch_triplet, "F.triplet_margin_loss"),
        "torch-cuda": (_torch_triplet, "F.triplet_margin_loss"),
        # optax adds eps inside the power sum (torch adds it to the difference): same cost
        "jax": (_optax_triplet, "optax.triplet_margin_loss"),
        "cupy": (_array_triplet("cupy"), "cupy formula"),
    },
}

BENCHES: list[Bench] = []
for _backend in ("numpy", "torch", "jax", "torch-cuda", "cupy"):
    BENCHES += [
        Bench(
            "ntxent", _backend, _ntxent_inputs(_backend), _ours_ntxent, *NATIVES["ntxent"][_backend]
        ),
        Bench(
            "triplet_margin",
            _backend,
            _triplet_inputs(_backend),
            _ours_triplet,
            *NATIVES["triplet_margin"][_backend],
        ),
    ]
