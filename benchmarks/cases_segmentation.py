"""Segmentation benchmarks: Dice on (32, 512, 512) float32 masks ("large") and (2, 4, 4) ("tiny").

The natives are the formulas the frameworks use, written in each library: MONAI's
``DiceLoss`` forward (``1 - (2·Σpt + smooth_nr) / (Σt + Σp + smooth_dr)``) in torch, eager;
its jnp twin (Optax's ``dice_loss`` is the same sums) for jax, which the runner jits; the
NumPy/CuPy formula elsewhere. Two layouts: one pooled score (``axis=None``, MONAI
``batch=True``) and one score per image (``axis=(1, 2)``, MONAI ``batch=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import anyloss
from benchmarks._bench import Bench

SHAPES = {"large": (32, 512, 512), "tiny": (2, 4, 4)}
SMOOTH = 1.0
PER_IMAGE = (1, 2)


def _masks(backend: str) -> Any:
    def setup(size: str) -> tuple[Any, ...]:
        rng = np.random.default_rng(0)
        shape = SHAPES[size]
        p = rng.uniform(0, 1, shape).astype(np.float32)
        t = (rng.uniform(0, 1, shape) < 0.3).astype(np.float32)
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


def _torch_monai(per_image: bool) -> Any:
    """MONAI ``DiceLoss(batch=not per_image, smooth_nr=smooth_dr=1)`` forward, one channel."""

    def fn(p: Any, t: Any) -> Any:
        import torch

        dims = list(PER_IMAGE) if per_image else [0, *PER_IMAGE]
        intersection = torch.sum(t * p, dim=dims)
        ground_o = torch.sum(t, dim=dims)
        pred_o = torch.sum(p, dim=dims)
        f = 1.0 - (2.0 * intersection + SMOOTH) / (ground_o + pred_o + SMOOTH)
        return torch.mean(f)

    return fn


def _jnp_dice(per_image: bool) -> Any:
    def fn(p: Any, t: Any) -> Any:
        import jax.numpy as jnp

        axis = PER_IMAGE if per_image else None
        inter = jnp.sum(p * t, axis=axis)
        f = 1.0 - (2.0 * inter + SMOOTH) / (jnp.sum(p, axis=axis) + jnp.sum(t, axis=axis) + SMOOTH)
        return jnp.mean(f)

    return fn


def _array_dice(per_image: bool) -> Any:
    """NumPy / CuPy (method calls, so one function serves both)."""

    def fn(p: Any, t: Any) -> Any:
        axis = PER_IMAGE if per_image else None
        inter = (p * t).sum(axis=axis)
        return (
            1.0 - (2.0 * inter + SMOOTH) / (p.sum(axis=axis) + t.sum(axis=axis) + SMOOTH)
        ).mean()

    return fn


def _ours(per_image: bool) -> Any:
    axis = PER_IMAGE if per_image else None

    def fn(p: Any, t: Any) -> Any:
        return anyloss.dice(p, t, smooth=SMOOTH, axis=axis)

    return fn


def _native(backend: str, per_image: bool) -> tuple[Any, str]:
    if backend.startswith("torch"):
        return _torch_monai(per_image), "MONAI DiceLoss formula (torch)"
    if backend == "jax":
        return _jnp_dice(per_image), "MONAI/Optax dice formula (jnp)"
    return _array_dice(per_image), "formula"


BENCHES: list[Bench] = []
for _backend in ("numpy", "torch", "jax", "torch-cuda", "cupy"):
    for _per_image, _label in ((False, "dice"), (True, "dice-per-image")):
        _fn, _name = _native(_backend, _per_image)
        BENCHES.append(Bench(_label, _backend, _masks(_backend), _ours(_per_image), _fn, _name))
