"""Adapters for the array libraries anyloss runs on: make, read and differentiate arrays.

Used by ``anyloss check`` and by the test matrix. Nothing here is imported by
``import anyloss``; each adapter imports its library only when it is constructed, and
raises ``ImportError`` when the library (or its GPU) is not there.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["BACKENDS", "CPU_BACKENDS", "GPU_BACKENDS", "Backend", "make_backend"]

CPU_BACKENDS = ("numpy", "strict", "torch", "jax", "dask")
GPU_BACKENDS = ("cupy", "torch-cuda")


class Backend:
    """One array library (on one device) as the tests see it."""

    name: str = ""
    module: str = ""
    autograd: bool = False
    half_dtypes: tuple[str, ...] = ()
    low_precision_on_every_case: bool = True
    """Whether the matrix runs every case in float32 and half precision, or (False: a
    compile per case and dtype) each loss's default and extreme-input cases only (every
    case runs in float64 either way)."""

    needs_cuda: bool = False
    """A GPU backend: unusable (``ImportError``) where its library sees no CUDA device."""

    def __init__(self) -> None:
        self.lib = importlib.import_module(self.module)
        if self.needs_cuda and not self.lib.cuda.is_available():
            raise ImportError(f"{self.name} was asked for but no CUDA device is available")

    def __repr__(self) -> str:
        return self.name

    @functools.cached_property
    def xp(self) -> Any:
        import array_api_compat

        return array_api_compat.array_namespace(self.asarray(np.zeros(1), "float64"))

    def dtype(self, name: str) -> Any:
        return getattr(self.xp, name)

    def asarray(self, x: Any, dtype: str) -> Any:
        raise NotImplementedError

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def value_and_grad(
        self, f: Callable[..., Any], inputs: Sequence[Any]
    ) -> tuple[Any, list[np.ndarray]]:
        """``f(*inputs)`` (a scalar) and its gradient w.r.t. every input."""
        raise NotImplementedError(f"{self.name} has no autograd")

    def compiled(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """``f`` as this backend runs a whole computation best (jax: ``jax.jit``)."""
        return f


class NumpyBackend(Backend):
    name, module = "numpy", "numpy"

    def asarray(self, x: Any, dtype: str) -> Any:
        return np.asarray(x, dtype=dtype)


class StrictBackend(Backend):
    name, module = "strict", "array_api_strict"

    def asarray(self, x: Any, dtype: str) -> Any:
        return self.lib.asarray(np.asarray(x), dtype=getattr(self.lib, dtype))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(
            self.lib.astype(x, self.lib.float64) if x.dtype != self.lib.bool else x,
            dtype=np.float64,
        )


class TorchBackend(Backend):
    name, module, autograd = "torch", "torch", True
    half_dtypes = ("float16", "bfloat16")
    device = "cpu"

    def asarray(self, x: Any, dtype: str) -> Any:
        t = self.lib.from_numpy(np.array(x))  # a contiguous copy; 0-d stays 0-d
        return t.to(device=self.device, dtype=getattr(self.lib, dtype))

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().to(device="cpu", dtype=self.lib.float64).numpy()

    def value_and_grad(
        self, f: Callable[..., Any], inputs: Sequence[Any]
    ) -> tuple[Any, list[np.ndarray]]:
        leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
        out = f(*leaves)
        grads = self.lib.autograd.grad(out, leaves, allow_unused=True)
        return out, [
            np.zeros(x.shape) if g is None else self.to_numpy(g)
            for g, x in zip(grads, leaves, strict=False)
        ]


class TorchCudaBackend(TorchBackend):
    name, device, needs_cuda = "torch-cuda", "cuda", True


class JaxBackend(Backend):
    name, module, autograd = "jax", "jax", True
    half_dtypes = ("float16", "bfloat16")
    low_precision_on_every_case = False  # each case and dtype compiles (jit)

    def __init__(self) -> None:
        super().__init__()
        self.lib.config.update("jax_enable_x64", True)
        self.jnp = importlib.import_module("jax.numpy")

    def asarray(self, x: Any, dtype: str) -> Any:
        return self.jnp.asarray(np.asarray(x), dtype=getattr(self.jnp, dtype))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(self.jnp.asarray(x, dtype=self.jnp.float64))

    def compiled(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.lib.jit(f)

    def value_and_grad(
        self, f: Callable[..., Any], inputs: Sequence[Any]
    ) -> tuple[Any, list[np.ndarray]]:
        argnums = tuple(range(len(inputs)))
        out, grads = self.lib.jit(self.lib.value_and_grad(f, argnums=argnums))(*inputs)
        return out, [self.to_numpy(g) for g in grads]


class DaskBackend(Backend):
    name, module = "dask", "dask.array"

    def asarray(self, x: Any, dtype: str) -> Any:
        x = np.asarray(x, dtype=dtype)
        chunks = tuple(max(1, (s + 1) // 2) for s in x.shape)  # several chunks
        return self.lib.from_array(x, chunks=chunks)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x.compute(), dtype=np.float64)


class CupyBackend(Backend):
    name, module, needs_cuda = "cupy", "cupy", True

    def asarray(self, x: Any, dtype: str) -> Any:
        return self.lib.asarray(np.asarray(x), dtype=dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.lib.asnumpy(x).astype(np.float64)


BACKENDS: dict[str, type[Backend]] = {
    c.name: c
    for c in (
        NumpyBackend,
        StrictBackend,
        TorchBackend,
        JaxBackend,
        DaskBackend,
        CupyBackend,
        TorchCudaBackend,
    )
}


def make_backend(name: str) -> Backend:
    """The adapter for ``name``; ``ImportError`` if its library or device is missing."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    return BACKENDS[name]()
